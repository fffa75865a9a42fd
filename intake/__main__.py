from intake.cli.main import main

main()
