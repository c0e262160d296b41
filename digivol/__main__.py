"""`python -m digivol` runs the command line."""

from digivol.cli import main

if __name__ == "__main__":
    main()
