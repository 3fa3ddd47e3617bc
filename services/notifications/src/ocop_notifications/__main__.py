"""Process entry point: `ocop-notifications serve | migrate | asyncapi`."""

from ocop_shared.service_cli import service_cli

from .bootstrap import build_definition
from .settings import NotificationsSettings


def main() -> None:
    service_cli(build_definition, NotificationsSettings)()


if __name__ == "__main__":
    main()
