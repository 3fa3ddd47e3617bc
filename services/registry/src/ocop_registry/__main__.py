"""Process entry point: `ocop-registry serve | migrate | asyncapi`."""

from ocop_shared.service_cli import service_cli

from .bootstrap import build_definition
from .cli_import import cli as import_cli
from .settings import RegistrySettings


def main() -> None:
    service_cli(build_definition, RegistrySettings, extra=import_cli)()


if __name__ == "__main__":
    main()
