
set edit:completion:arg-completer[tokctl] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) TOKCTL_COMPLETE="elvish" tokctl -- $@words) | to-lines
}

