from fleetcompat.cli import main

raise SystemExit(main())
