"""`rasa run` with its HTTP API token from the environment, not from the command line.

    python -m rasa_extensions.serve run --model models/ryggvett.tar.gz --endpoints endpoints.yml ...

Rasa 3.6 takes `--auth-token` and `--jwt-secret` only as arguments, which every process
listing (`ps`, /proc/<pid>/cmdline) shows to anyone on the machine. This reads them from
RASA_API_TOKEN and RASA_JWT_SECRET and hands them to Rasa inside the process; with either
set the API is enabled, with neither it stays off.
"""

from __future__ import annotations

import os
import sys


def api_arguments(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The arguments enabling Rasa's API with the configured token and/or JWT secret; none when unset."""
    token, jwt_secret = environ.get("RASA_API_TOKEN", "").strip(), environ.get("RASA_JWT_SECRET", "").strip()
    if not token and not jwt_secret:
        return []
    arguments = ["--enable-api"]
    if token:
        arguments += ["--auth-token", token]
    if jwt_secret:
        arguments += ["--jwt-secret", jwt_secret]
    return arguments


def main() -> None:
    given = sys.argv[1:]
    if any(arg in given for arg in ("--auth-token", "--jwt-secret", "-t")):
        sys.exit("Give the API token in RASA_API_TOKEN (and a JWT secret in RASA_JWT_SECRET), not on the command line.")
    if "--enable-api" in given:
        sys.exit("The API is enabled by setting RASA_API_TOKEN or RASA_JWT_SECRET; without either it stays off.")
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *given, *api_arguments(os.environ)]
    rasa_main()


if __name__ == "__main__":
    main()
