from fravaer_cli.cli import main

raise SystemExit(main())
