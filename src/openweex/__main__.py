from openweex.cli import main

main()
