from cnnscope.cli import main

raise SystemExit(main())
