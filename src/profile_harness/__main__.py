"""``python -m profile_harness``: the ``profile-harness`` command."""

from profile_harness.cli import main

if __name__ == "__main__":
    main()
