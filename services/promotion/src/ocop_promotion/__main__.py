"""Process entry point: `ocop-promotion serve | migrate | asyncapi`."""

from ocop_shared.service_cli import service_cli

from .bootstrap import build_definition
from .settings import PromotionSettings


def main() -> None:
    service_cli(build_definition, PromotionSettings)()


if __name__ == "__main__":
    main()
