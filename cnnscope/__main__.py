from cnnscope.cli.main import main

raise SystemExit(main())
