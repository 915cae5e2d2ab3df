"""Allows ``python -m chaoscli``; also the installed ``chaoscli`` command's entry point."""

from chaoscli import stop

# Before the heavy imports: a signal while they load is recorded (and honoured by ``main``
# before anything changes) instead of a traceback or a silent death.
stop.install()

from chaoscli.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
