from amts.cli import main

main()
