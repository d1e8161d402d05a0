from fravaer_cli.entry import main

main()
