complete --keep-order --exclusive --command tokctl --arguments "(TOKCTL_COMPLETE=fish tokctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
