"""Settings for the CLL platform, read from the environment (see README, "Configuration").

Three modes, chosen by ``CLL_ENV``:

- ``development`` (default): DEBUG on, SQLite, keys generated once into ``var/dev-keys.env``;
- ``test``: like development with DEBUG off, used by the test suite;
- ``production``: refuses to start unless the secret, the keyring, the hosts and the mail server
  are set and DEBUG is off, naming the variable that is wrong.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from cll.lib import env
from cll.lib.clientip import trusted_networks
from cll.lib.devkeys import development_secrets
from cll.lib.keyring import parse_keyring
from cll.lib.signing import parse_signing_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("CLL_VAR_DIR", str(BASE_DIR / "var")))

CLL_ENV = env.string("CLL_ENV", "development")
if CLL_ENV not in {"development", "test", "production"}:
    raise env.ConfigError(
        f"CLL_ENV is malformed: expected development, test or production, got {CLL_ENV!r}."
    )
PRODUCTION = CLL_ENV == "production"

DEBUG = env.boolean("DEBUG", CLL_ENV == "development")
if PRODUCTION and DEBUG:
    raise env.ConfigError("DEBUG must be off in production (unset DEBUG or set DEBUG=0).")

_dev = {} if PRODUCTION else development_secrets(VAR_DIR)

SECRET_KEY = env.string("SECRET_KEY", _dev.get("SECRET_KEY", env._MISSING))
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise env.ConfigError("SECRET_KEY is too weak: use at least 50 random characters.")

_keyring_text = env.string("CLL_KEYRING", _dev.get("CLL_KEYRING", env._MISSING))
try:
    ENCRYPTION_KEYRING = parse_keyring(_keyring_text)
except ValueError as exc:
    raise env.ConfigError(f"CLL_KEYRING is malformed: {exc}.") from exc
BLIND_INDEX_KEY = env.string("CLL_BLIND_INDEX_KEY", _dev.get("CLL_BLIND_INDEX_KEY", env._MISSING))
# A per-person data key is cached unwrapped for at most this many seconds (cll/core/encryption.py).
DATA_KEY_CACHE_SECONDS = env.integer("CLL_DATA_KEY_CACHE_SECONDS", 300, minimum=0)

# The evidence ledger (cll/privacy/ledger.py): entries are chained with HMAC-SHA256 under the
# first key of CLL_AUDIT_KEY (same format as CLL_KEYRING; older keys stay listed to verify the
# entries they chained), and the chain's head is signed (Ed25519) into checkpoint files kept
# outside the database. Neither key is ever in the database or its backups.
_audit_key_text = env.string("CLL_AUDIT_KEY", _dev.get("CLL_AUDIT_KEY", env._MISSING))
try:
    AUDIT_KEYRING = parse_keyring(_audit_key_text)
except ValueError as exc:
    raise env.ConfigError(f"CLL_AUDIT_KEY is malformed: {exc}.") from exc
_audit_signing_text = env.string(
    "CLL_AUDIT_SIGNING_KEY", _dev.get("CLL_AUDIT_SIGNING_KEY", env._MISSING)
)
try:
    AUDIT_SIGNING_KEY = parse_signing_key(_audit_signing_text)
except ValueError as exc:
    raise env.ConfigError(f"CLL_AUDIT_SIGNING_KEY is malformed: {exc}.") from exc
AUDIT_CHECKPOINT_DIR = Path(
    env.string("CLL_AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints"))
)
# On PostgreSQL each process places its committed entries in the chain from a thread of its
# own, so a writer never waits for the chain; SQLite and the tests place them at commit.
AUDIT_CHAIN_THREAD = env.boolean("CLL_AUDIT_CHAIN_THREAD", CLL_ENV != "test")

ALLOWED_HOSTS = env.strings(
    "ALLOWED_HOSTS", env._MISSING if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
SITE_URL = env.string("CLL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not SITE_URL.startswith("https://"):
    raise env.ConfigError("CLL_SITE_URL must start with https:// in production.")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# -- Site identity (shown in the footer, the privacy policy and every e-mail) -----------------
ORGANISATION_NAME = env.string("CLL_ORG_NAME", "CLL Centres de Langues asbl")
PRIVACY_EMAIL = env.string("CLL_PRIVACY_EMAIL", "privacy@cll.be")
POSTAL_ADDRESS = env.string(
    "CLL_POSTAL_ADDRESS", "Place de l'Université 25, 1348 Louvain-la-Neuve, Belgique"
)
DPA_REGISTRATION = env.string("CLL_DPA_REGISTRATION", "VT 4001258")
COMPANY_NUMBER = env.string("CLL_COMPANY_NUMBER", "")

# -- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Template filters only (no models); allauth's MFA pages use naturaltime.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    # Before the task apps: its db_worker and crontask commands (which refuse to start where the
    # site may not serve, cll/core/serving.py) replace theirs.
    "cll.core",
    "django_tasks_db",
    "crontask",
    "cll.privacy",
    "cll.accounts",
    "cll.courses",
    "cll.content",
    "cll.rights",
    "cll.erasure",
    "cll.dsar",
    "cll.consent",
    "cll.analytics",
    "cll.policies",
    "cll.breaches",
    "cll.shop",
    "cll.placement",
    "cll.newsletter",
    "cll.helpdesk",
    "cll.chat",
    "cll.feedback",
    # Accounts (django-allauth): registration, login, e-mail verification, password reset.
    # Country names in the visitor's language (translations ship with the package).
    "django_countries",
    "allauth",
    "allauth.account",
    # Two-factor authentication (TOTP, WebAuthn, recovery codes) and "my other sessions".
    "allauth.mfa",
    "allauth.usersessions",
]
REDIS_URL = env.redis_url("REDIS_URL")
TASKS_BACKEND = env.string("CLL_TASKS_BACKEND", "database")
if TASKS_BACKEND not in {"database", "redis"}:
    raise env.ConfigError(
        f"CLL_TASKS_BACKEND is malformed: expected database or redis, got {TASKS_BACKEND!r}."
    )
if TASKS_BACKEND == "redis" and not REDIS_URL:
    raise env.ConfigError("REDIS_URL is required when CLL_TASKS_BACKEND=redis.")
if TASKS_BACKEND == "redis":
    INSTALLED_APPS.append("django_tasks_redis")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cll.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Adds the consented tags' hosts to the CSP of the pages that inject them (cll/consent).
    "cll.consent.middleware.ConsentTagsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Log files (cll/analytics): recorded off the request path, never slowing the response.
    "cll.analytics.middleware.AccessLogMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the user read at once (cll/accounts/middleware.py).
    "cll.accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff sessions end when idle and after a fixed lifetime (cll/accounts/middleware.py).
    "cll.accounts.middleware.StaffSessionTimeoutMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # Staff pages (the Django admin) require an MFA-authenticated session (cll/accounts/staff.py).
    "cll.accounts.staff.StaffMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cll.core.middleware.NoStoreForAuthenticatedMiddleware",
]

ROOT_URLCONF = "cll.urls"
WSGI_APPLICATION = "cll.wsgi.application"
ASGI_APPLICATION = "cll.asgi.application"
AUTH_USER_MODEL = "accounts.User"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.template.context_processors.i18n",
    "django.template.context_processors.csp",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "cll.core.context_processors.organisation",
]
# Pages are Jinja2 templates in jinja2/ (cll/core/jinja.py); Django's template language is kept
# for e-mails and for what third parties render with their own tags (allauth, the admin), in
# templates/ and the apps' templates/ directories. The first engine that has a name wins.
TEMPLATES = [
    {
        "NAME": "jinja2",
        "BACKEND": "cll.core.jinja.Engine",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "cll.core.jinja.environment",
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]
if not DEBUG:
    # Compiled templates are cached in production and tests (the default loaders, cached).
    TEMPLATES[1]["APP_DIRS"] = False
    TEMPLATES[1]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        )
    ]
# Rendered fragments ({% fragment %}, cll/core/fragments.py) kept per worker process: a session
# card is about 1.5 KB, so the default holds every card of a 500-session catalogue in three
# languages several times over in a few MB.
FRAGMENT_CACHE_ENTRIES = env.integer("CLL_FRAGMENT_CACHE_ENTRIES", 10000, minimum=0)

# -- Data -------------------------------------------------------------------------------------
DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing with "database is locked" mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA temp_store=MEMORY; PRAGMA mmap_size=134217728;"
        ),
    }
# Persistent connections: opening SQLite and running its PRAGMAs cost ~0.5 ms per request
# (bench/profile_page.py); for PostgreSQL a connection costs far more.
DATABASES["default"].setdefault("CONN_MAX_AGE", 600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cll",
        }
    }
    SESSION_ENGINE = "cll.core.sessions.cached_db"  # Django's, its read prepared
    # The pub/sub layer: one subscription per worker instead of a Redis round trip per message
    # popped (the list-based layer fell behind at a few hundred chat messages per second and
    # dropped them as ChannelFull, bench/chat.py). It delivers at most once, which the chat
    # allows: a message is saved before it is broadcast, and a reconnecting client asks for
    # what it missed. A socket timeout above the layer's 5-second blocking read (at redis-py's
    # 5 s a quiet worker's receive loop died and closed its sockets), and a pool larger than
    # redis-py's 100, which raises instead of waiting.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 10, "max_connections": 2000}],
                "prefix": "cll:channels",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "cll.core.sessions.db"  # Django's, its read prepared
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

if TASKS_BACKEND == "redis":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": [],
            "OPTIONS": {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": "cll:tasks"},
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
CRONTASK = {"REDIS_URL": REDIS_URL} if REDIS_URL else {}

# -- E-mail (every message goes through the outbox: cll/core/outbox.py) -----------------------
_email_host = env.string("EMAIL_HOST", "")
if PRODUCTION and not _email_host:
    raise env.ConfigError("EMAIL_HOST is required in production (the SMTP relay).")
_email_tls = env.boolean("EMAIL_USE_TLS", False)
_email_ssl = env.boolean("EMAIL_USE_SSL", False)
if _email_tls and _email_ssl:
    raise env.ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "CLL Centres de Langues <info@cll.be>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# DKIM signing of outgoing mail (cll/core/mail.py): all three variables or none.
_DKIM = ("CLL_DKIM_DOMAIN", "CLL_DKIM_SELECTOR", "CLL_DKIM_PRIVATE_KEY_FILE")
_dkim_options = (
    {
        "dkim_domain": env.string("CLL_DKIM_DOMAIN"),
        "dkim_selector": env.string("CLL_DKIM_SELECTOR"),
        "dkim_key_file": env.rsa_private_key_file("CLL_DKIM_PRIVATE_KEY_FILE"),
    }
    if env.all_or_none(*_DKIM)
    else {}
)
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": (
                "cll.core.mail.DkimEmailBackend"
                if _dkim_options
                else "django.core.mail.backends.smtp.EmailBackend"
            ),
            "OPTIONS": {
                "host": _email_host,
                "port": env.integer("EMAIL_PORT", 25, minimum=1),
                "username": env.string("EMAIL_HOST_USER", "") or None,
                "password": env.string("EMAIL_HOST_PASSWORD", "") or None,
                "use_tls": _email_tls,
                "use_ssl": _email_ssl,
                "timeout": env.integer("EMAIL_TIMEOUT", 20, minimum=1),
                **_dkim_options,
            },
        }
    }
else:
    # Development without a mail server: one .eml file per message in var/mail/ (a mail client
    # opens it).
    MAILERS = {
        "default": {
            "BACKEND": "cll.core.mail.EmlFileBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
# The HTML part of an e-mail links the addresses its text names (cll/core/emails.py): a bare
# "www.cll.be" becomes https://, as Django 7 will do by default.
URLIZE_ASSUME_HTTPS = True
OUTBOX_MAX_ATTEMPTS = env.integer("CLL_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env.integer("CLL_OUTBOX_RETRY_BASE_SECONDS", 30, minimum=1)

# -- Authentication ---------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

# -- Accounts (django-allauth) ----------------------------------------------------------------
# E-mail is the login (no username); the address is kept in clear text on User and on allauth's
# EmailAddress because both look it up (docs/architecture.md, "E-mail addresses").
# Django's and allauth's, reading the signed-in user with a query built once (every request).
AUTHENTICATION_BACKENDS = [
    "cll.accounts.backends.ModelBackend",
    "cll.accounts.backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "cll.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "cll.accounts.forms.SignupForm"
ACCOUNT_USER_DISPLAY = "cll.accounts.adapter.user_display"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# The same page and the same answer whether or not an address has an account.
ACCOUNT_PREVENT_ENUMERATION = True
# Logging out changes state: POST only (a GET shows the confirmation form).
ACCOUNT_LOGOUT_ON_GET = False
# None: the person chooses with the "Remember me" box on the login form.
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_REDIRECT_URL = "content:home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CLL] "
# Brute-force protection: failed logins per address and per IP, and e-mail sending throttles.
# Merged with allauth's defaults (signup, password reset, e-mail confirmation throttles).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}

# -- Accounts: social sign-in (allauth.socialaccount) -----------------------------------------
# Google, Facebook, Microsoft and LinkedIn (OpenID Connect, as allauth documents it). A provider
# is enabled only when both its client id and secret are set: no key, no button, and no request
# to any third party. Apps live here, not in the database (the SocialApp table stays empty).
INSTALLED_APPS += [
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.openid_connect",
]
SOCIALACCOUNT_ADAPTER = "cll.accounts.adapter.SocialAccountAdapter"


def _social_apps(prefix: str, **extra) -> list[dict]:
    client_id = env.string(f"CLL_SOCIAL_{prefix}_CLIENT_ID", "")
    secret = env.string(f"CLL_SOCIAL_{prefix}_SECRET", "")
    if not (client_id and secret):
        return []
    return [{"client_id": client_id, "secret": secret, "key": "", **extra}]


# The smallest scopes that sign a person in: an identifier, a name and the e-mail address.
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": _social_apps("GOOGLE"),
        "SCOPE": ["openid", "email", "profile"],
        "AUTH_PARAMS": {"access_type": "online"},
        "OAUTH_PKCE_ENABLED": True,
    },
    "facebook": {
        "APPS": _social_apps("FACEBOOK"),
        "METHOD": "oauth2",  # never Facebook's JavaScript SDK in our pages
        "SCOPE": ["email", "public_profile"],
        "FIELDS": ["id", "email", "name", "first_name", "last_name"],
    },
    "microsoft": {
        "APPS": _social_apps("MICROSOFT"),
        "TENANT": env.string("CLL_SOCIAL_MICROSOFT_TENANT", "common"),
        "SCOPE": ["openid", "email", "profile", "User.Read"],
    },
    "openid_connect": {
        "APPS": _social_apps(
            "LINKEDIN",
            provider_id="linkedin",
            name="LinkedIn",
            settings={
                "server_url": "https://www.linkedin.com/oauth",
                "token_auth_method": "client_secret_post",
            },
        ),
        "SCOPE": ["openid", "email", "profile"],
        "OAUTH_PKCE_ENABLED": True,
    },
}
# Signing in with a provider whose e-mail matches an existing account does NOT sign into that
# account: a provider that lets people claim addresses it has not verified could otherwise take
# it over. The person signs in with their password and links the provider from their profile.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
# An address the provider did not verify is verified by us, as at signup.
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
# No access or refresh tokens kept: we only sign in, we never call the provider on the
# person's behalf later.
SOCIALACCOUNT_STORE_TOKENS = False
# Starting a sign-in changes state: POST only (a GET shows a confirmation page).
SOCIALACCOUNT_LOGIN_ON_GET = False
# A first sign-in with a provider creates the account through our sign-up form (allauth's
# social sign-up page), never silently: the age gate (a date of birth or "I am 13 or older",
# cll/accounts/forms.py SignupForm) and the profile's names apply there too.
SOCIALACCOUNT_AUTO_SIGNUP = False
# Changing the e-mail address, the password or the second factors asks for the password (or a
# second factor) again when the last sign-in is older than ACCOUNT_REAUTHENTICATION_TIMEOUT.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.integer("CLL_REAUTHENTICATION_TIMEOUT", 300, minimum=0)

# Children under this age register only with a parent's or guardian's consent (GDPR Art. 8;
# 13 in Belgium). The consent records the privacy policy version the guardian accepted.
DIGITAL_CONSENT_AGE = env.integer("CLL_DIGITAL_CONSENT_AGE", 13, minimum=0)
PRIVACY_POLICY_VERSION = env.string("CLL_PRIVACY_POLICY_VERSION", "2026-11")
PARENTAL_CONSENT_LINK_DAYS = 7
# Two-factor authentication, available to everyone and required for staff pages.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# TOTP secrets and recovery-code seeds are encrypted at rest with the person's data key.
MFA_ADAPTER = "cll.accounts.mfa.MFAAdapter"
MFA_TOTP_ISSUER = ORGANISATION_NAME
# WebAuthn needs HTTPS except on localhost; allowing plain http is for development and tests only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# -- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English")), ("nl", _("Nederlands"))]
# URL prefixes of staff pages: a staff member needs MFA set up and used in the session to open them.
# The middleware compares path prefixes, so the language-prefixed staff pages are listed per
# language (i18n_patterns with prefix_default_language=True: every page has one).
STAFF_MFA_PATH_PREFIXES = [
    "/admin/",
    *(f"/{code}/{area}/" for code, _name in LANGUAGES for area in ("staff", "admin")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True

# -- Static files (self-hosted, fingerprinted, compressed; never a CDN) -----------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and CLL_ENV != "test"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_MAX_AGE = 31536000 if PRODUCTION else 0
# Outside production, serve straight from the app and project static folders (no collectstatic).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not PRODUCTION
# Files browsers ask for at the site's root (/favicon.ico, /apple-touch-icon.png).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# -- Security ---------------------------------------------------------------------------------
_https = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _https
# The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
SESSION_COOKIE_NAME = "__Host-sessionid" if _https else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if _https else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Django's message storage, whose cookie is also deleted with its flags (cll/core/messages.py).
# Forms: Django's form templates written in Python (cll/core/formrender.py), the same HTML at a
# fraction of the cost; any other template (a widget's own, the admin's) is rendered as usual.
FORM_RENDERER = "cll.core.formrender.FormRenderer"
MESSAGE_STORAGE = "cll.core.messages.MessageStorage"
# Staff sessions (is_staff: a second factor and access to people's data) end after this many
# minutes without a request and this many hours after signing in, whatever "remember me" said
# (ASVS 7.3.1/7.3.2, cll/accounts/middleware.py); learners keep SESSION_COOKIE_AGE. A longer
# idle period than the whole session would mean no idle timeout at all.
STAFF_SESSION_IDLE_MINUTES = env.integer(
    "CLL_STAFF_SESSION_IDLE_MINUTES", 30, minimum=1, maximum=8 * 60
)
STAFF_SESSION_MAX_HOURS = env.integer("CLL_STAFF_SESSION_MAX_HOURS", 12, minimum=1, maximum=24)
if STAFF_SESSION_IDLE_MINUTES > STAFF_SESSION_MAX_HOURS * 60:
    raise env.ConfigError(
        "CLL_STAFF_SESSION_IDLE_MINUTES must not exceed CLL_STAFF_SESSION_MAX_HOURS (in minutes)."
    )
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "cll.core.views.csrf_failure"
SECURE_SSL_REDIRECT = env.boolean("CLL_SSL_REDIRECT", PRODUCTION)
_behind_proxy = env.boolean("CLL_BEHIND_PROXY", False)
if _behind_proxy:
    # Only trust X-Forwarded-Proto when a reverse proxy we control sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated; default
# none): from one of them, the client is the right-most address of the header that is not a
# trusted proxy; from anyone else the header is ignored (it is trivially spoofed). Every rate
# limit and the access log key on the client derived this way (cll/lib/clientip.py). Behind a
# proxy without it, every visitor would share the proxy's address, and so one rate-limit
# bucket: production refuses that configuration.
TRUSTED_PROXIES = tuple(env.strings("CLL_TRUSTED_PROXIES", []))
try:
    trusted_networks(TRUSTED_PROXIES)
except ValueError as exc:
    raise env.ConfigError(str(exc)) from exc
if PRODUCTION and _behind_proxy and not TRUSTED_PROXIES:
    raise env.ConfigError(
        "CLL_TRUSTED_PROXIES is required with CLL_BEHIND_PROXY: the reverse proxy's address, "
        "so that rate limits key on each visitor rather than on the proxy"
    )
SECURE_HSTS_SECONDS = 31536000 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

# -- Logging (JSON lines in production, never personal data: see cll/core/logging.py) ---------
LOG_LEVEL = env.string("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "scrub": {"()": "cll.core.logging.ScrubPersonalData"},
        # A refused request (403, 400) is one line; a server error keeps its traceback.
        "one_line_4xx": {"()": "cll.core.logging.OneLineClientErrors"},
    },
    "formatters": {
        "json": {"()": "cll.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if PRODUCTION else "plain",
            "filters": ["scrub", "one_line_4xx"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own default config also prints "django" records; one handler is enough.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.security.DisallowedHost": {"level": "ERROR"},
        "apscheduler": {"level": "WARNING"},
        # WeasyPrint (invoices) and the font library it uses log each step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# -- Privacy ----------------------------------------------------------------------------------
# Apps whose models must be fully classified in their privacy.py (checked by privacy.E001).
PRIVACY_PROJECT_APPS_PREFIX = "cll."
# The benchmark's reference route (a bare "hello" view); off unless the benchmark turns it on.
BENCHMARK_HELLO = env.boolean("CLL_BENCHMARK_HELLO", False)
BACKUP_DIR = Path(env.string("CLL_BACKUP_DIR", str(VAR_DIR / "backups")))

# -- Analytics (cll/analytics): log files, kept off the request path -------------------------
# Off: the access-log middleware is not used at all (the benchmark measures its cost this way).
ACCESS_LOG_ENABLED = env.boolean("CLL_ACCESS_LOG", True)
# Raw IP addresses are truncated (IPv4 /24, IPv6 /48) after this many days...
ACCESS_LOG_IP_DAYS = env.integer("CLL_LOG_IP_DAYS", 7, minimum=1)
# ...and raw log rows deleted after this many; the daily aggregates are kept.
ACCESS_LOG_RETENTION_DAYS = env.integer("CLL_LOG_RETENTION_DAYS", 90, minimum=1)
if ACCESS_LOG_IP_DAYS > ACCESS_LOG_RETENTION_DAYS:
    raise env.ConfigError("CLL_LOG_IP_DAYS must not exceed CLL_LOG_RETENTION_DAYS.")
# Each web worker's writer thread spools its buffer every this many seconds, or sooner at this
# many events; past the buffer's size, events are dropped and counted (a response never waits
# for the log).
ACCESS_LOG_FLUSH_SECONDS = env.integer("CLL_LOG_FLUSH_SECONDS", 5, minimum=1)
# At most 10,000 (a spool file becomes one block of the log: cll/analytics/logstore.py).
ACCESS_LOG_FLUSH_EVENTS = env.integer("CLL_LOG_FLUSH_EVENTS", 10000, minimum=1, maximum=10000)
ACCESS_LOG_BUFFER_EVENTS = env.integer("CLL_LOG_BUFFER_EVENTS", 50000, minimum=1)
# The writer thread; tests flush synchronously instead (cll.analytics.logbuffer.flush).
ACCESS_LOG_WRITER = env.boolean("CLL_LOG_WRITER", CLL_ENV != "test")
# Where the writers leave their batches (one JSON file each) for the task worker to ingest
# (cll/analytics/spool.py, every minute, or `manage.py access_log_ingest --watch`): web workers
# never write the log to the database. A local disk of the web host; the task worker (or the
# command) must run on that host, under the same account (files are 0600).
ACCESS_LOG_SPOOL_DIR = Path(env.string("CLL_LOG_SPOOL", str(VAR_DIR / "access-log-spool")))
# Network (ASN organisation) and country of public addresses, from MaxMind DB (.mmdb) files
# the operator downloads (DB-IP Lite or GeoLite2), read offline by the log ingester
# (cll/analytics/geoip.py); default none: "unknown". A path that is not a readable MaxMind DB
# stops start-up (system check analytics.E001).
GEOIP_COUNTRY_DB = env.string("CLL_GEOIP_COUNTRY_DB", "")
GEOIP_ASN_DB = env.string("CLL_GEOIP_ASN_DB", "")
# Shown under the networks and countries of the dashboard: DB-IP's CC BY 4.0 licence requires
# it, e.g. "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0".
GEOIP_ATTRIBUTION = env.string("CLL_GEOIP_ATTRIBUTION", "")

# -- Privacy operations (privacyops: retention engine, record of processing, breach register) --
# Accounts nobody signed in to for this long are erased (warned by e-mail beforehand).
INACTIVE_ACCOUNT_DAYS = env.integer("CLL_INACTIVE_ACCOUNT_DAYS", 3 * 365, minimum=1)
INACTIVE_WARNING_DAYS = env.integer("CLL_INACTIVE_WARNING_DAYS", 30, minimum=1)
if INACTIVE_WARNING_DAYS >= INACTIVE_ACCOUNT_DAYS:
    raise env.ConfigError("CLL_INACTIVE_WARNING_DAYS must be below CLL_INACTIVE_ACCOUNT_DAYS.")
# Registrations whose e-mail address was never confirmed are erased after this many days.
UNCONFIRMED_REGISTRATION_DAYS = env.integer("CLL_UNCONFIRMED_REGISTRATION_DAYS", 7, minimum=1)
# The breach register (cll/breaches) is kept this long after a breach was detected (Art. 33(5)).
BREACH_REGISTER_DAYS = env.integer("CLL_BREACH_REGISTER_DAYS", 5 * 365, minimum=365)

# -- Shop (cll/shop): orders, payments, invoices, enrolments ----------------------------------
# Seats of an order are held this long while the buyer pays; then released if unpaid.
SHOP_SEAT_HOLD_MINUTES = env.integer("CLL_SHOP_SEAT_HOLD_MINUTES", 20, minimum=5)
# VAT rate in basis points (2100 = 21 %). 0: exempt, as education by a non-profit school is
# (VAT code Art. 44 § 2, 4°); the invoice then carries SHOP_VAT_EXEMPTION_MENTION.
SHOP_VAT_RATE_BP = env.integer("CLL_SHOP_VAT_RATE_BP", 0, minimum=0)
SHOP_VAT_EXEMPTION_MENTION = env.string(
    "CLL_SHOP_VAT_EXEMPTION_MENTION", "Exemption de TVA, article 44, § 2, 4° du Code de la TVA"
)
# Who issues the invoices (name, address, enterprise number), printed on every invoice.
SHOP_SELLER_NAME = env.string("CLL_SHOP_SELLER_NAME", "CLL Centres de Langues ASBL")
SHOP_SELLER_ADDRESS = env.string(
    "CLL_SHOP_SELLER_ADDRESS", "Place de l'Université 25, 1348 Louvain-la-Neuve, Belgique"
)
SHOP_SELLER_VAT_NUMBER = env.string("CLL_SHOP_SELLER_VAT_NUMBER", "BE 0000.000.000")
# A seat freed in a full session is offered to the next person on its waiting list this long.
WAITLIST_OFFER_HOURS = env.integer("CLL_WAITLIST_OFFER_HOURS", 48, minimum=1)
# Payment provider: "sandbox" (a local test-mode payment page, no keys, no internet; refused in
# production), "stripe" (Stripe Checkout) or "mollie".
PAYMENT_PROVIDER = env.string("CLL_PAYMENT_PROVIDER", "sandbox")
if PAYMENT_PROVIDER not in {"sandbox", "stripe", "mollie"}:
    raise env.ConfigError(
        f"CLL_PAYMENT_PROVIDER is malformed: expected sandbox, stripe or mollie, got "
        f"{PAYMENT_PROVIDER!r}."
    )
STRIPE_SECRET_KEY = env.string("CLL_STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env.string("CLL_STRIPE_WEBHOOK_SECRET", "")
MOLLIE_API_KEY = env.string("CLL_MOLLIE_API_KEY", "")
# Accounting records (orders, payments, invoices) are kept this many years after the year they
# were made in (Belgian VAT code: 10).
ACCOUNTING_RETENTION_YEARS = env.integer("CLL_ACCOUNTING_RETENTION_YEARS", 10, minimum=7)
# Enrolments and attendance are kept this many days after their session ended.
ENROLMENT_RETENTION_DAYS = env.integer("CLL_ENROLMENT_RETENTION_DAYS", 2 * 365, minimum=30)
# Quote requests and fraud reports are kept this many days after they were closed.
BILLING_CASE_RETENTION_DAYS = env.integer("CLL_BILLING_CASE_RETENTION_DAYS", 3 * 365, minimum=30)

# -- Newsletter (cll/newsletter) --------------------------------------------------------------
# A subscription whose confirmation link was not followed is deleted after this many days.
NEWSLETTER_UNCONFIRMED_DAYS = env.integer("CLL_NEWSLETTER_UNCONFIRMED_DAYS", 7, minimum=1)
# Hours the double opt-in link stays valid.
NEWSLETTER_CONFIRM_HOURS = env.integer("CLL_NEWSLETTER_CONFIRM_HOURS", 72, minimum=1)
# The consent evidence of an ended subscription is kept this many days after it ended.
NEWSLETTER_EVIDENCE_DAYS = env.integer("CLL_NEWSLETTER_EVIDENCE_DAYS", 3 * 365, minimum=30)
# Which campaign went to whom is kept this many days.
NEWSLETTER_DELIVERY_DAYS = env.integer("CLL_NEWSLETTER_DELIVERY_DAYS", 365, minimum=30)
# Keyed fingerprints of addresses that left are kept this many days (never written to again).
NEWSLETTER_SUPPRESSION_DAYS = env.integer("CLL_NEWSLETTER_SUPPRESSION_DAYS", 10 * 365, minimum=365)
# Sending: at most this many messages per second, over this many SMTP connections; a failed
# delivery is retried this many times with exponential backoff.
NEWSLETTER_RATE_PER_SECOND = env.integer("CLL_NEWSLETTER_RATE_PER_SECOND", 50, minimum=1)
NEWSLETTER_SMTP_CONNECTIONS = env.integer("CLL_NEWSLETTER_SMTP_CONNECTIONS", 2, minimum=1)
NEWSLETTER_MAX_ATTEMPTS = env.integer("CLL_NEWSLETTER_MAX_ATTEMPTS", 5, minimum=1)
# Shared secret of the mail provider's bounce and complaint notifications (empty: endpoint off).
NEWSLETTER_BOUNCE_SECRET = env.string("CLL_NEWSLETTER_BOUNCE_SECRET", "")
# The mailto: address of List-Unsubscribe (its mailbox is read by manage.py newsletter_mailbox).
NEWSLETTER_UNSUBSCRIBE_MAILTO = env.string("CLL_NEWSLETTER_UNSUBSCRIBE_MAILTO", "")

# -- Uploads (cll/core/uploads.py): every file scanned by ClamAV before it is accepted ---------
# Sealed files, outside the web root (never served directly).
UPLOAD_DIR = Path(env.string("CLL_UPLOAD_DIR", str(VAR_DIR / "uploads")))
UPLOAD_MAX_BYTES = env.integer("CLL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# clamd's socket: "unix:///run/clamav/clamd.ctl" or "tcp://127.0.0.1:3310". Empty: no scanner,
# so every upload stays quarantined (never served) and staff pages say so (fail closed).
CLAMD_URL = env.string("CLL_CLAMD_URL", "")
CLAMD_TIMEOUT_SECONDS = env.integer("CLL_CLAMD_TIMEOUT", 30, minimum=1)

# -- Helpdesk (cll/helpdesk): contact form, tickets, canned replies, service levels -----------
# A closed ticket (with its messages and files) is deleted this many days after it was closed.
HELPDESK_TICKET_DAYS = env.integer("CLL_HELPDESK_TICKET_DAYS", 2 * 365, minimum=30)
# A solved ticket the person does not answer is closed after this many days.
HELPDESK_AUTOCLOSE_DAYS = env.integer("CLL_HELPDESK_AUTOCLOSE_DAYS", 7, minimum=1)
# Business hours of Customer service (Europe/Brussels), Monday to Friday: service-level timers
# only run during them.
HELPDESK_OPENING_HOUR = env.integer("CLL_HELPDESK_OPENING_HOUR", 9, minimum=0, maximum=23)
HELPDESK_CLOSING_HOUR = env.integer("CLL_HELPDESK_CLOSING_HOUR", 17, minimum=1, maximum=24)
if HELPDESK_OPENING_HOUR >= HELPDESK_CLOSING_HOUR:
    raise env.ConfigError("CLL_HELPDESK_OPENING_HOUR must be before CLL_HELPDESK_CLOSING_HOUR.")
# Service levels: business hours to the first answer, and to the resolution.
HELPDESK_FIRST_RESPONSE_HOURS = env.integer("CLL_HELPDESK_FIRST_RESPONSE_HOURS", 8, minimum=1)
HELPDESK_RESOLUTION_HOURS = env.integer("CLL_HELPDESK_RESOLUTION_HOURS", 40, minimum=1)
# The address replies go to: "support+<ticket key>@cll.be" threads an e-mailed answer into its
# ticket (`manage.py helpdesk_mailbox` on that mailbox). Empty: replies go to DEFAULT_FROM_EMAIL
# and answers by e-mail are not threaded (people answer on the portal).
HELPDESK_REPLY_ADDRESS = env.string("CLL_HELPDESK_REPLY_ADDRESS", "")
# Contact-form submissions accepted per client IP per hour and per e-mail address per day.
HELPDESK_RATE_PER_IP_HOUR = env.integer("CLL_HELPDESK_RATE_PER_IP_HOUR", 10, minimum=1)
HELPDESK_RATE_PER_ADDRESS_DAY = env.integer("CLL_HELPDESK_RATE_PER_ADDRESS_DAY", 5, minimum=1)

# -- Live chat (cll/chat) ------------------------------------------------------------------------
# Transcripts of ended chats (not turned into tickets) are deleted after this many days.
CHAT_TRANSCRIPT_DAYS = env.integer("CLL_CHAT_TRANSCRIPT_DAYS", 90, minimum=1)
# A staff member counts as available while their console is open and has said so within this
# many seconds (heartbeat).
CHAT_AVAILABILITY_SECONDS = env.integer("CLL_CHAT_AVAILABILITY_SECONDS", 60, minimum=10)
# A chat nobody wrote in for this many minutes is ended (its transcript sent, if asked for).
CHAT_IDLE_MINUTES = env.integer("CLL_CHAT_IDLE_MINUTES", 30, minimum=5)
# Flood control: messages per conversation per 10 seconds, and characters per message.
CHAT_MESSAGES_PER_10_SECONDS = env.integer("CLL_CHAT_MESSAGES_PER_10_SECONDS", 10, minimum=1)
CHAT_MAX_MESSAGE_CHARS = env.integer("CLL_CHAT_MAX_MESSAGE_CHARS", 2000, minimum=100)

# -- Feedback (cll/feedback) ---------------------------------------------------------------------
# Learners are invited to rate a session this many days after it ended; the link stays valid
# FEEDBACK_LINK_DAYS; comments are deleted after FEEDBACK_DAYS (ratings kept as aggregates).
FEEDBACK_INVITE_AFTER_DAYS = env.integer("CLL_FEEDBACK_INVITE_AFTER_DAYS", 1, minimum=0)
FEEDBACK_LINK_DAYS = env.integer("CLL_FEEDBACK_LINK_DAYS", 30, minimum=1)
FEEDBACK_DAYS = env.integer("CLL_FEEDBACK_DAYS", 2 * 365, minimum=30)

# -- Policies (cll/policies): versioned privacy policy and terms, the privacy contact -----------
# Days people have to object to a material change before acceptance is deemed (the policy: 30).
POLICY_OBJECTION_DAYS = env.integer("CLL_POLICY_OBJECTION_DAYS", 30, minimum=1)
# Announcement e-mails are queued this many users per transaction.
POLICY_ANNOUNCE_BATCH = env.integer("CLL_POLICY_ANNOUNCE_BATCH", 200, minimum=1)
# The data-protection authority that CLL answers to (shown with DPA_REGISTRATION).
DPA_NAME = env.string("CLL_DPA_NAME", "Autorité de protection des données")
DPA_URL = env.string("CLL_DPA_URL", "https://www.autoriteprotectiondonnees.be")

# -- Data-subject requests (cll/dsar) ------------------------------------------------------------
# Hours the identity-verification link of a request stays valid.
DSAR_VERIFICATION_HOURS = env.integer("CLL_DSAR_VERIFICATION_HOURS", 48, minimum=1)
# Requests accepted per client IP address per hour, and per e-mail address per day.
DSAR_RATE_PER_IP_HOUR = env.integer("CLL_DSAR_RATE_PER_IP_HOUR", 10, minimum=1)
DSAR_RATE_PER_ADDRESS_DAY = env.integer("CLL_DSAR_RATE_PER_ADDRESS_DAY", 3, minimum=1)

# -- Data rights (cll/rights): "download all my data" -----------------------------------------
# Where export files are written, encrypted with the person's data key: outside static and
# media files, never served directly (the download view decrypts them for their owner only).
EXPORT_DIR = Path(env.string("CLL_EXPORT_DIR", str(VAR_DIR / "exports")))
# A ready export can be downloaded once, within this many days; then its file is deleted.
EXPORT_EXPIRY_DAYS = env.integer("CLL_EXPORT_EXPIRY_DAYS", 7, minimum=1)

# -- Accounts (cll/accounts): e-mail change, notices, parental consent throttle ----------------
# A new e-mail address replaces the old one only once verified through the link sent to it:
# until then the old address stays the login, the primary address and User.email; on
# verification the old one is removed. The old address is told of the change (and of password
# changes) by allauth's security notices.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Parental consent requests e-mail an address a visitor types: per client IP and per address.
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "parental_consent": "5/h/ip,3/d/key"}
# Children one guardian may have on file, handed-over ones included (each was an account created
# from this one), and children added per guardian per hour (profile page and consent link): one
# account cannot mint child accounts in bulk, nor hand them over to e-mail addresses in bulk
# (a handover also spends the sign-up limit of the connection, ACCOUNT_RATE_LIMITS["signup"]).
MAX_CHILDREN_PER_GUARDIAN = env.integer("CLL_MAX_CHILDREN_PER_GUARDIAN", 10, minimum=1, maximum=100)
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "child_add": "10/h/user"}

# -- Consent (cll/consent) ---------------------------------------------------------------------
# A cookie choice is asked again after this many days (CNIL: 6 months); never over 13 months.
# Cookie choices recorded per client network (/24 or /48) and minute: a script posting choices
# in a loop must not flood the evidence ledger (beyond it: 429, nothing recorded).
CONSENT_RECORDS_PER_MINUTE = env.integer("CLL_CONSENT_RECORDS_PER_MINUTE", 30, minimum=1)
CONSENT_MAX_AGE_DAYS = env.integer("CLL_CONSENT_MAX_AGE_DAYS", 182, minimum=1)
if CONSENT_MAX_AGE_DAYS > 390:
    raise env.ConfigError(
        "CLL_CONSENT_MAX_AGE_DAYS must be at most 390 (13 months): a cookie choice may not be "
        f"kept longer, got {CONSENT_MAX_AGE_DAYS}."
    )

# -- Erasure (cll/erasure) ----------------------------------------------------------------------
# Days between a person's erasure request and the erasure itself; they can cancel meanwhile.
ERASURE_GRACE_DAYS = env.integer("CLL_ERASURE_GRACE_DAYS", 14, minimum=1)
# The erasure journal: public ids of erased people, kept OUTSIDE the database and its backups,
# replayed after a restore (manage.py erasure_journal_replay). Tests never touch a real one.
ERASURE_JOURNAL = Path(env.string("CLL_ERASURE_JOURNAL", str(VAR_DIR / "erasure-journal.jsonl")))
