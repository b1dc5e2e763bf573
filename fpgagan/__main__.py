from fpgagan.cli import main

raise SystemExit(main())
