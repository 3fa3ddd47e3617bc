"""Authentication and authorisation shared by every service's HTTP API.

Callers present a JWT (HS256, shared secret) as ``Authorization: Bearer <token>``. The
token carries who the caller is (`sub`), their role and the jurisdiction they act in
(province, commune, council, producer). Routes declare the roles they admit with
``Depends(require(Role.operator, ...))`` and check jurisdiction with `check_province`.

Failures are HTTP errors with the platform's error body: 401 ``unauthenticated`` (with
``WWW-Authenticate: Bearer``) when the token is missing or invalid, 403 ``forbidden``
when the role or the jurisdiction does not allow the action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, ValidationError

ALGORITHM = "HS256"
DEFAULT_ISSUER = "ocop"
DEFAULT_TTL = timedelta(hours=12)
#: HS256 keys shorter than the hash output (RFC 7518 §3.2) are brute-forceable.
MIN_SECRET_BYTES = 32
#: The name of the security scheme in every service's OpenAPI document.
SECURITY_SCHEME_NAME = "bearerAuth"


class Role(StrEnum):
    """What a caller may do on the platform."""

    operator = "operator"
    """Runs the platform; acts everywhere."""
    provincial_official = "provincial_official"
    """Staff of a provincial OCOP office; acts in their province."""
    ministry_official = "ministry_official"
    """Staff of the Ministry's OCOP office (central council, 5-star decisions); acts
    nationwide."""
    council_member = "council_member"
    """Member of an evaluation council; acts in the council's province."""
    producer = "producer"
    """A producing entity (cooperative, household, company); acts on its own records."""
    integration = "integration"
    """Another system (e.g. a ministry portal); reads everywhere, writes nowhere by default."""


#: Roles whose reach ends at the border of their own province.
PROVINCE_SCOPED_ROLES = frozenset({Role.provincial_official, Role.council_member, Role.producer})


class Principal(BaseModel):
    """The authenticated caller, as stated by a verified token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    role: Role
    province_code: str | None = None
    commune_code: str | None = None
    council_id: str | None = None
    producer_id: str | None = None
    name: str | None = None

    def can_act_in_province(self, code: str) -> bool:
        """Whether the caller's jurisdiction covers province `code`.

        Operators, Ministry officials and integrations reach every province (integrations are
        read-only, but that is for each route's role requirement to enforce). Province-scoped
        roles reach only their own province; one without a province reaches none (fail
        closed).
        """
        if self.role in (Role.operator, Role.ministry_official, Role.integration):
            return True
        return self.province_code is not None and self.province_code == code


class InvalidToken(Exception):
    """A bearer token was rejected; `reason` says why in words safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AuthConfig:
    """How an app verifies tokens; `create_app` stores it on ``app.state.auth``."""

    secret: str
    issuer: str = DEFAULT_ISSUER

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("the JWT secret must not be empty")
        if not self.issuer:
            raise ValueError("the JWT issuer must not be empty")

    @property
    def secret_is_weak(self) -> bool:
        """True when the secret is shorter than HS256 needs (fine for tests, not production)."""
        return len(self.secret.encode()) < MIN_SECRET_BYTES

    def __repr__(self) -> str:  # never print the secret
        return f"AuthConfig(secret='***', issuer={self.issuer!r})"


# ---------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------

# Principal field -> JWT claim. `sub` and `role` are mandatory; the others are optional.
_CLAIMS = {
    "subject": "sub",
    "role": "role",
    "province_code": "province",
    "commune_code": "commune",
    "council_id": "council",
    "producer_id": "producer",
    "name": "name",
}
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "role"]


@dataclass(frozen=True)
class TokenIssuer:
    """Issues and verifies tokens with one secret and issuer."""

    secret: str
    issuer: str = DEFAULT_ISSUER
    ttl: timedelta = DEFAULT_TTL

    def issue(
        self, principal: Principal, *, ttl: timedelta | None = None, now: datetime | None = None
    ) -> str:
        """A signed token for `principal`, valid for `ttl` (default: the issuer's) from `now`."""
        ttl = self.ttl if ttl is None else ttl
        if ttl <= timedelta(0):
            raise ValueError(f"token lifetime must be positive, got {ttl}")
        issued_at = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "iat": issued_at,
            "exp": issued_at + ttl,
        }
        for field, claim in _CLAIMS.items():
            value = getattr(principal, field)
            if value is not None:
                claims[claim] = str(value)
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> Principal:
        """The principal a token states, after checking signature, expiry, issuer and role.

        Raises `InvalidToken` with a caller-safe reason otherwise.
        """
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("bad signature") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("wrong issuer") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"missing claim {exc.claim!r}") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("token not yet valid") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise InvalidToken(f"algorithm not allowed (expected {ALGORITHM})") from exc
        except jwt.DecodeError as exc:
            raise InvalidToken("malformed token") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from exc
        return _principal_from_claims(claims)


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    role = claims.get("role")
    try:
        Role(role)
    except ValueError as exc:
        raise InvalidToken(f"unknown role {role!r}") from exc
    values = {field: claims.get(claim) for field, claim in _CLAIMS.items()}
    try:
        return Principal.model_validate(values)
    except ValidationError as exc:
        bad = ", ".join(_CLAIMS[str(e["loc"][0])] for e in exc.errors() if e["loc"])
        raise InvalidToken(f"malformed claims: {bad or 'unknown'}") from exc


def issue_token(
    principal: Principal,
    secret: str,
    *,
    ttl: timedelta = DEFAULT_TTL,
    issuer: str = DEFAULT_ISSUER,
    now: datetime | None = None,
) -> str:
    """A signed HS256 token for `principal` (see `TokenIssuer.issue`)."""
    return TokenIssuer(secret, issuer, ttl).issue(principal, now=now)


def decode_token(token: str, secret: str, *, issuer: str = DEFAULT_ISSUER) -> Principal:
    """The verified principal of `token`; raises `InvalidToken` (see `TokenIssuer.decode`)."""
    return TokenIssuer(secret, issuer).decode(token)


# ---------------------------------------------------------------------------------------
# FastAPI dependencies
# ---------------------------------------------------------------------------------------

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name=SECURITY_SCHEME_NAME,
    bearerFormat="JWT",
    description="A platform JWT: `Authorization: Bearer <token>`.",
)


class AuthError(HTTPException):
    """An HTTP 401/403 carrying the platform error code in `error`.

    `create_app` renders it as ``{"error": error, "detail": detail}``; outside such an app
    FastAPI's default handler still yields the right status, detail and headers.
    """

    def __init__(
        self, status_code: int, error: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.error = error


class Unauthenticated(AuthError):
    """401: no usable credentials."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, "unauthenticated", detail, {"WWW-Authenticate": "Bearer"})


class Forbidden(AuthError):
    """403: authenticated, but not allowed to do this."""

    def __init__(self, detail: str) -> None:
        super().__init__(403, "forbidden", detail)


def auth_config_of(request: Request) -> AuthConfig:
    """The `AuthConfig` the app was created with."""
    config = getattr(request.app.state, "auth", None)
    if not isinstance(config, AuthConfig):
        raise RuntimeError(
            "app.state.auth is not set; build the app with ocop_shared.http.create_app"
        )
    return config


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The principal of the request's bearer token; raises `Unauthenticated` otherwise."""
    if credentials is None:
        if request.headers.get("Authorization"):
            raise Unauthenticated("authorization scheme must be Bearer")
        raise Unauthenticated("missing token")
    config = auth_config_of(request)
    try:
        principal = decode_token(credentials.credentials, config.secret, issuer=config.issuer)
    except InvalidToken as exc:
        raise Unauthenticated(exc.reason) from exc
    request.state.principal = principal  # read by the access log
    return principal


def require(*roles: Role, action: str | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers with one of `roles` (any authenticated caller if none).

    `action` words the 403 message, e.g. ``require(Role.operator, action="close a round")``
    answers a producer with "role producer may not close a round".

    Usage: ``principal: Annotated[Principal, Depends(require(Role.operator))]``.
    """
    allowed = frozenset(Role(r) for r in roles)  # a typo fails at import, not at request time
    wording = action or "access this endpoint"
    allowed_text = ", ".join(sorted(allowed))

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    ) -> Principal:
        principal = authenticate(request, credentials)
        if allowed and principal.role not in allowed:
            raise Forbidden(f"role {principal.role} may not {wording} (allowed: {allowed_text})")
        return principal

    dependency.__name__ = f"require_{'_or_'.join(sorted(allowed)) or 'authenticated'}"
    return dependency


def check_province(principal: Principal, province_code: str) -> None:
    """Raise 403 unless `province_code` lies within the principal's jurisdiction."""
    if principal.can_act_in_province(province_code):
        return
    own = f"province {principal.province_code}" if principal.province_code else "no province"
    raise Forbidden(
        f"province {province_code} is outside the jurisdiction of {principal.subject} "
        f"(role {principal.role}, {own})"
    )


# ---------------------------------------------------------------------------------------
# Development
# ---------------------------------------------------------------------------------------

DEV_PROVINCE = "01"  # Hà Nội
DEV_COUNCIL_ID = "council-01-province"
DEV_PRODUCER_ID = "producer-demo"

DEV_PRINCIPALS: dict[Role, Principal] = {
    Role.operator: Principal(subject="dev-operator", role=Role.operator, name="Dev operator"),
    Role.provincial_official: Principal(
        subject="dev-official-01",
        role=Role.provincial_official,
        province_code=DEV_PROVINCE,
        name="Cán bộ OCOP Hà Nội",
    ),
    Role.ministry_official: Principal(
        subject="dev-ministry-official", role=Role.ministry_official,
        name="Cán bộ Văn phòng Điều phối OCOP Trung ương",
    ),
    Role.council_member: Principal(
        subject="dev-council-member-01",
        role=Role.council_member,
        province_code=DEV_PROVINCE,
        council_id=DEV_COUNCIL_ID,
        name="Thành viên hội đồng Hà Nội",
    ),
    Role.producer: Principal(
        subject="dev-producer",
        role=Role.producer,
        province_code=DEV_PROVINCE,
        producer_id=DEV_PRODUCER_ID,
        name="HTX Demo",
    ),
    Role.integration: Principal(
        subject="dev-integration", role=Role.integration, name="Dev integration"
    ),
}


def dev_tokens(
    secret: str,
    *,
    issuer: str = DEFAULT_ISSUER,
    ttl: timedelta = timedelta(days=7),
    producer_id: str | None = None,
) -> dict[str, str]:
    """One token per role for local development, keyed by role name. Never use in production.
    `producer_id` binds the producer token to a real producer (the demo data's)."""
    issuer_ = TokenIssuer(secret, issuer, ttl)
    principals = dict(DEV_PRINCIPALS)
    if producer_id is not None:
        principals[Role.producer] = principals[Role.producer].model_copy(
            update={"producer_id": producer_id}
        )
    return {str(role): issuer_.issue(p) for role, p in principals.items()}
