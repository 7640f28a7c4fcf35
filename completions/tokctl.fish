complete --keep-order --exclusive --command tokctl --arguments "(COMPLETE=fish tokctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
