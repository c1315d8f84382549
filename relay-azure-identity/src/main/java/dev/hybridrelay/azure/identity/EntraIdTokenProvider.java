package dev.hybridrelay.azure.identity;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.hybridrelay.core.SecurityToken;
import dev.hybridrelay.core.TokenProvider;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorizes listeners and senders with Entra ID (Azure AD) access tokens from an azure-identity
 * {@link TokenCredential}: {@code DefaultAzureCredential}, a managed identity, a service principal,
 * workload identity or the Azure CLI login.
 *
 * <pre>
 * TokenProvider entra = EntraIdTokenProvider.defaultAzureCredential();
 * RelayListener listener = RelayListener.builder(cs).tokenProvider(entra).build();
 * </pre>
 *
 * <p><b>What goes on the wire.</b> The token is requested for scope {@value #DEFAULT_SCOPE} (the
 * scope azbridge requests) and sent as the raw JWT, without a {@code Bearer} prefix, in the
 * {@code ServiceBusAuthorization} header and in a listener's {@code renewToken} command, exactly as
 * the official .NET, Java and Node.js SDKs send it. The identity needs the <em>Azure Relay
 * Listener</em> or <em>Azure Relay Sender</em> role. The audience the library passes (the hybrid
 * connection's URI) and {@code validFor} do not change the request: Entra ID issues one token for
 * the whole scope and decides its lifetime.
 *
 * <p><b>Caching.</b> One token serves every listener, sender and audience that shares this
 * provider. It is reused until its refresh time, the later of half its lifetime and
 * {@linkplain Builder#refreshMargin refresh margin} (default 5 minutes) before it expires, but no
 * later than the credential's own refresh hint; then the next call fetches a new one. Concurrent
 * callers wait for a single fetch. If a refresh fails while the current token is still valid, the
 * current token is returned (with a warning in the log) and the next call tries again; once it has
 * expired, the failure is thrown.
 *
 * <p><b>Failures.</b> {@link #getToken} throws an {@link IOException} that names the scope and the
 * credential's class and says why (the credential's own explanation, for example which sources
 * {@code DefaultAzureCredential} tried), with anything that looks like a token, secret or assertion
 * removed; the cause is attached only when its messages carry none. A fetch that takes longer than
 * {@linkplain Builder#timeout the timeout} (default 60 seconds) fails. Tokens are never logged;
 * {@link #toString()} shows the scope and credential class only.
 *
 * <p><b>Threads.</b> Thread-safe. {@link #getToken} blocks the calling library thread while a token
 * is fetched (network I/O, or a process such as {@code az} for the CLI credential).
 *
 * <p><b>Why an azure type in a public signature.</b> The project keeps third-party types out of
 * public signatures; relay-core has none. This module is the one exception by design: adapting a
 * {@code TokenCredential} is its whole product, and taking one typed (rather than as
 * {@code Object}) lets the compiler check what callers pass and documents itself. Applications that
 * do not use Entra ID do not depend on this module, so they never see azure types.
 */
public final class EntraIdTokenProvider implements TokenProvider {
  /** The scope requested by default, as azbridge requests it. */
  public static final String DEFAULT_SCOPE = "https://relay.azure.net/.default";

  static final Duration DEFAULT_REFRESH_MARGIN = Duration.ofMinutes(5);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(EntraIdTokenProvider.class);

  private final TokenCredential credential;
  private final String scope;
  private final TokenRequestContext request;
  private final Duration refreshMargin;
  private final Duration timeout;
  private final Clock clock;
  private final String credentialName;
  private final Object fetchLock = new Object();
  private volatile Cached cached;

  private record Cached(String jwt, Instant expiresAt, Instant refreshAt) {}

  private EntraIdTokenProvider(Builder b) {
    this.credential = b.credential;
    this.scope = b.scope;
    this.request = new TokenRequestContext().addScopes(b.scope);
    this.refreshMargin = b.refreshMargin;
    this.timeout = b.timeout;
    this.clock = b.clock;
    this.credentialName = b.credential.getClass().getSimpleName();
  }

  /** A provider over {@code credential} with every default. */
  public static EntraIdTokenProvider create(TokenCredential credential) {
    return builder(credential).build();
  }

  /**
   * A provider over a new {@code DefaultAzureCredential}: environment variables
   * ({@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code AZURE_CLIENT_SECRET} or a certificate),
   * workload identity, managed identity, then the developer logins (Azure CLI, Azure PowerShell,
   * Azure Developer CLI, IntelliJ), in azure-identity's order. Nothing is contacted until the first
   * {@link #getToken}.
   */
  public static EntraIdTokenProvider defaultAzureCredential() {
    return create(new DefaultAzureCredentialBuilder().build());
  }

  /** A builder over {@code credential}. */
  public static Builder builder(TokenCredential credential) {
    return new Builder(Objects.requireNonNull(credential, "credential"));
  }

  /** The scope tokens are requested for. */
  public String scope() {
    return scope;
  }

  /**
   * Returns the cached token, or fetches one from the credential when the cached one reached its
   * refresh time. {@code audience} is copied into the result; {@code validFor} is ignored (Entra ID
   * decides the lifetime).
   *
   * @throws IOException if no token could be had and no cached one is still valid; the message
   *     contains no secret
   */
  @Override
  public SecurityToken getToken(String audience, Duration validFor) throws IOException {
    Cached c = cached;
    if (c != null && clock.instant().isBefore(c.refreshAt())) {
      return new SecurityToken(c.jwt(), audience, c.expiresAt());
    }
    synchronized (fetchLock) {
      c = cached;
      Instant now = clock.instant();
      if (c != null && now.isBefore(c.refreshAt())) {
        return new SecurityToken(c.jwt(), audience, c.expiresAt());
      }
      try {
        Cached fresh = fetch(now);
        cached = fresh;
        return new SecurityToken(fresh.jwt(), audience, fresh.expiresAt());
      } catch (IOException e) {
        if (c != null && now.isBefore(c.expiresAt())) {
          log.warn("{}; using the current token until it expires at {}", e.getMessage(), c.expiresAt());
          return new SecurityToken(c.jwt(), audience, c.expiresAt());
        }
        throw e;
      }
    }
  }

  private Cached fetch(Instant now) throws IOException {
    AccessToken t;
    try {
      t = credential.getToken(request).block(timeout);
    } catch (RuntimeException e) {
      Throwable cause = reactor.core.Exceptions.unwrap(e);
      throw failure(reason(cause), Redaction.isClean(cause) ? cause : null);
    }
    if (t == null || t.getToken() == null || t.getToken().isBlank()) {
      throw failure("the credential returned no token", null);
    }
    if (t.getExpiresAt() == null) {
      throw failure("the credential returned a token without an expiry time", null);
    }
    String jwt = t.getToken().strip();
    if (jwt.regionMatches(true, 0, "Bearer ", 0, 7)) {
      jwt = jwt.substring(7).strip(); // the relay wants the bare JWT
    }
    Instant expiresAt = t.getExpiresAt().toInstant();
    if (!expiresAt.isAfter(now)) {
      throw failure("the credential returned a token that expired at " + expiresAt, null);
    }
    Instant refreshAt = refreshTime(now, expiresAt, refreshMargin);
    if (t.getRefreshAt() != null && t.getRefreshAt().toInstant().isAfter(now)
        && t.getRefreshAt().toInstant().isBefore(refreshAt)) {
      refreshAt = t.getRefreshAt().toInstant();
    }
    log.debug("Entra ID token for scope {} from {}: expires {}, refresh at {}", scope, credentialName, expiresAt,
        refreshAt);
    return new Cached(jwt, expiresAt, refreshAt);
  }

  /** The later of half the lifetime and {@code margin} before expiry. */
  static Instant refreshTime(Instant obtained, Instant expires, Duration margin) {
    Instant half = obtained.plus(Duration.between(obtained, expires).dividedBy(2));
    Instant beforeExpiry = expires.minus(margin);
    return beforeExpiry.isAfter(half) ? beforeExpiry : half;
  }

  private String reason(Throwable e) {
    if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).startsWith("Timeout on blocking read")) {
      return "no answer within " + timeout.toSeconds() + " s";
    }
    String m = e.getMessage();
    String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
    return Redaction.text(text);
  }

  private IOException failure(String why, Throwable cause) {
    return new IOException("Entra ID: no token for scope " + scope + " from " + credentialName + ": " + why
        + " (check the identity's sign-in and its Azure Relay Listener/Sender role)", cause);
  }

  @Override
  public String toString() {
    return "EntraIdTokenProvider{scope=" + scope + ", credential=" + credentialName + "}";
  }

  /** Settings of an {@link EntraIdTokenProvider}; not thread-safe. */
  public static final class Builder {
    private final TokenCredential credential;
    private String scope = DEFAULT_SCOPE;
    private Duration refreshMargin = DEFAULT_REFRESH_MARGIN;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Clock clock = Clock.systemUTC();

    private Builder(TokenCredential credential) {
      this.credential = credential;
    }

    /**
     * The scope to request (default {@value EntraIdTokenProvider#DEFAULT_SCOPE}). The official SDKs
     * request {@code https://relay.azure.net//.default} (resource {@code https://relay.azure.net/});
     * both name the relay service.
     *
     * @throws IllegalArgumentException if it is not an absolute {@code https} scope
     */
    public Builder scope(String scope) {
      Objects.requireNonNull(scope, "scope");
      if (!scope.toLowerCase(Locale.ROOT).startsWith("https://") || scope.contains(" ")) {
        throw new IllegalArgumentException("The Entra ID scope must be an https URI without spaces, such as "
            + DEFAULT_SCOPE + "; was '" + scope + "'");
      }
      this.scope = scope;
      return this;
    }

    /** How long before expiry a cached token is replaced (default 5 minutes; at most half its lifetime). */
    public Builder refreshMargin(Duration margin) {
      Objects.requireNonNull(margin, "margin");
      if (margin.isNegative()) {
        throw new IllegalArgumentException("refreshMargin must not be negative: " + margin);
      }
      this.refreshMargin = margin;
      return this;
    }

    /** The longest wait for the credential (default 60 seconds). */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** The clock for refresh decisions (a test seam; default the system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Creates the provider; nothing is fetched yet. */
    public EntraIdTokenProvider build() {
      return new EntraIdTokenProvider(this);
    }
  }

  /** Removes what looks like a token or secret from text that may reach a log or an exception. */
  static final class Redaction {
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");
    private static final Pattern KEY_VALUE = Pattern.compile(
        "(?i)(access_token|refresh_token|id_token|client_secret|client_assertion|assertion|password|secret|sig)"
            + "(\"?\\s*[=:]\\s*\"?)[^\"&\\s,;}]+");
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]{8,}");
    private static final int MAX = 2000;

    private Redaction() {}

    /** {@code s} without secrets, cut to 2,000 characters. */
    static String text(String s) {
      String r = redact(s);
      return r.length() > MAX ? r.substring(0, MAX) + "…" : r;
    }

    private static String redact(String s) {
      String r = JWT.matcher(s).replaceAll("***");
      r = BEARER.matcher(r).replaceAll("$1***");
      return KEY_VALUE.matcher(r).replaceAll("$1$2***");
    }

    /** Whether no message in {@code t}'s cause chain needs redaction. */
    static boolean isClean(Throwable t) {
      for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
        String m = c.getMessage();
        if (m != null && !redact(m).equals(m)) {
          return false;
        }
        for (Throwable s : c.getSuppressed()) {
          if (!isClean(s)) {
            return false;
          }
        }
      }
      return true;
    }
  }
}
