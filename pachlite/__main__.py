from pachlite.cli.main import main

main()
