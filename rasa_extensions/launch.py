"""Starts Rasa the one way Ryggvett runs it: the version checked, the patches installed, then Rasa's CLI.

    python -m rasa_extensions.launch train --fixed-model-name ryggvett --out models
    python -m rasa_extensions.launch run --model models/ryggvett.tar.gz --endpoints endpoints.yml ...

Every make target that runs Rasa goes through here, so training, evaluation, story tests and the
server run the same code (rasa_extensions.PATCHES; RYGGVETT_PATCHES_OFF switches one off).
`run` takes its HTTP API token from the environment: Rasa 3.6 takes `--auth-token` and
`--jwt-secret` only as arguments, which every process listing (`ps`, /proc/<pid>/cmdline) shows
to anyone on the machine; this reads them from RASA_API_TOKEN and RASA_JWT_SECRET and hands
them to Rasa inside the process. With either set the API is enabled, with neither it stays off.
`run actions` (the action server, rasa_sdk) takes no patch.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Sequence

import rasa_extensions


def api_arguments(environ: Mapping[str, str]) -> list[str]:
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


def rasa_arguments(given: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """Rasa's command line for `given`; refuses an API token on it."""
    if list(given[:1]) != ["run"] or list(given[1:2]) == ["actions"]:
        return list(given)
    if any(arg in given for arg in ("--auth-token", "--jwt-secret", "-t")):
        sys.exit("Give the API token in RASA_API_TOKEN (and a JWT secret in RASA_JWT_SECRET), not on the command line.")
    if "--enable-api" in given:
        sys.exit("The API is enabled by setting RASA_API_TOKEN or RASA_JWT_SECRET; without either it stays off.")
    return [*given, *api_arguments(environ)]


def main(argv: Sequence[str] | None = None) -> None:
    given = list(sys.argv[1:] if argv is None else argv)
    arguments = rasa_arguments(given, os.environ)
    if given[:2] != ["run", "actions"]:
        try:
            names = rasa_extensions.install(rasa_extensions.patches_on(os.environ))
        except (rasa_extensions.WrongRasaVersion, ValueError) as error:
            sys.exit(str(error))
        print(f"Ryggvett: Rasa {rasa_extensions.RASA_VERSION}, patches: {', '.join(names) or 'none'}", file=sys.stderr)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
