"""Process entry point: `ocop-evaluation serve | migrate | asyncapi`."""

from ocop_shared.service_cli import service_cli

from .bootstrap import build_definition
from .settings import EvaluationSettings


def main() -> None:
    service_cli(build_definition, EvaluationSettings)()


if __name__ == "__main__":
    main()
