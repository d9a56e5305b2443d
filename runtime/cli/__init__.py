"""Command lines (s2s-translate, s2s-models): parse options, call the layers below, and turn
every user error into one line on stderr and exit 2."""
