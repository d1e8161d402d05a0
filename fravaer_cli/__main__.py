from fravaer_cli.cli import main

main()
