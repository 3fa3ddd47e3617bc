"""Process entry point: `ocop-registry serve | migrate | asyncapi`."""

from ocop_shared.service_cli import service_cli

from .bootstrap import build_definition
from .settings import RegistrySettings


def main() -> None:
    service_cli(build_definition, RegistrySettings)()


if __name__ == "__main__":
    main()
