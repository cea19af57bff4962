"""``python -m symconv`` runs the command-line interface."""

from symconv.cli import main

if __name__ == "__main__":
    main()
