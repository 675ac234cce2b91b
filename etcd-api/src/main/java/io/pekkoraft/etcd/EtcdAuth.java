package io.pekkoraft.etcd;

import com.typesafe.config.Config;
import io.pekkoraft.etcd.kv.EtcdError;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * etcd's password authentication on this member ({@code pekko-raft.etcd.auth}): users and their passwords come
 * from configuration; {@link #authenticate} answers a random token, kept in this member's memory only, that every
 * other etcd call presents in its {@code token} metadata, as etcd clients send it. A token lives
 * {@code token-ttl} after its last use (etcd's "simple" tokens do the same); another member does not know it, so a
 * client that reconnects elsewhere authenticates again (jetcd does so on "invalid auth token", etcdctl on every
 * invocation). There are no roles: every authenticated user may make every call.
 *
 * <p>Passwords are configured as {@code password-hash} (PBKDF2-HMAC-SHA256, see {@link #hash}) or, with the danger
 * that anyone who reads the configuration knows them, as {@code password}. Both are compared in constant time.
 */
public final class EtcdAuth {

  public static final String PATH = EtcdSettings.PATH + ".auth";
  /** How {@link #hash} writes a hash: {@code pbkdf2-sha256:<iterations>:<salt, base64>:<hash, base64>}. */
  static final String HASH_SCHEME = "pbkdf2-sha256";
  static final int HASH_ITERATIONS = 210_000;
  /** etcd's metadata key for the token (rpctypes.TokenFieldNameGRPC). */
  static final String TOKEN_HEADER = "token";

  /** A configured user: a PBKDF2 hash, or a plain password (then only its SHA-256 digest is kept). */
  private record Credential(String scheme, int iterations, byte[] salt, byte[] digest) {}

  private record Session(String user, long lastUseNanos) {}

  private final boolean enabled;
  private final long ttlNanos;
  private final int maxTokens;
  private final Map<String, Credential> users;
  private final LongSupplier nanoTime;
  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<String, Session> tokens = new ConcurrentHashMap<>();

  EtcdAuth(boolean enabled, Duration tokenTtl, int maxTokens, Map<String, Credential> users, LongSupplier nanoTime) {
    this.enabled = enabled;
    this.ttlNanos = tokenTtl.toNanos();
    this.maxTokens = maxTokens;
    this.users = Map.copyOf(users);
    this.nanoTime = nanoTime;
  }

  /** {@code pekko-raft.etcd.auth} of {@code config}; fails loudly, naming the key, on a malformed entry. */
  public static EtcdAuth fromConfig(Config config, LongSupplier nanoTime) {
    Config c = config.getConfig(PATH);
    boolean enabled = c.getBoolean("enabled");
    Duration ttl = c.getDuration("token-ttl");
    if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException(PATH + ".token-ttl must be positive");
    int maxTokens = c.getInt("max-tokens");
    if (maxTokens < 1) throw new IllegalArgumentException(PATH + ".max-tokens must be 1 or more, got " + maxTokens);
    Map<String, Credential> users = new LinkedHashMap<>();
    int i = 0;
    for (Config user : c.getConfigList("users")) {
      String where = PATH + ".users[" + i++ + "]";
      if (!user.hasPath("name") || user.getString("name").isEmpty()) {
        throw new IllegalArgumentException(where + " needs a name");
      }
      String name = user.getString("name");
      boolean hashed = user.hasPath("password-hash");
      if (hashed == user.hasPath("password")) {
        throw new IllegalArgumentException(where + " (" + name + ") needs exactly one of password-hash and password");
      }
      if (users.put(name, hashed ? parseHash(user.getString("password-hash"), where)
          : new Credential("plain", 0, new byte[0], sha256(user.getString("password")))) != null) {
        throw new IllegalArgumentException(where + ": user " + name + " is configured twice");
      }
    }
    if (enabled && users.isEmpty()) {
      throw new IllegalArgumentException(PATH + ".enabled = on needs at least one user in " + PATH + ".users");
    }
    return new EtcdAuth(enabled, ttl, maxTokens, users, nanoTime);
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * A new token for {@code name}, or etcd's error: AUTH_NOT_ENABLED when auth is off, AUTH_FAILED for an unknown
   * user or a wrong password, TOO_MANY_REQUESTS when {@code max-tokens} live tokens exist already.
   */
  public String authenticate(String name, String password) {
    if (!enabled) throw EtcdError.AUTH_NOT_ENABLED.exception();
    Credential credential = users.get(name);
    if (credential == null || !matches(credential, password)) throw EtcdError.AUTH_FAILED.exception();
    long now = nanoTime.getAsLong();
    if (tokens.size() >= maxTokens) {
      expire(now);
      if (tokens.size() >= maxTokens) throw EtcdError.TOO_MANY_REQUESTS.exception();
    }
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    tokens.put(token, new Session(name, now));
    return token;
  }

  /**
   * Why a call with {@code token} (null: none sent) is refused, or empty when it may pass (auth off, or a live
   * token, whose lifetime then starts again): USER_EMPTY without a token, INVALID_AUTH_TOKEN for an unknown or
   * expired one, as etcd answers.
   */
  public Optional<EtcdError> refusal(String token) {
    if (!enabled) return Optional.empty();
    if (token == null || token.isEmpty()) return Optional.of(EtcdError.USER_EMPTY);
    long now = nanoTime.getAsLong();
    Session session = tokens.get(token);
    if (session == null) return Optional.of(EtcdError.INVALID_AUTH_TOKEN);
    if (now - session.lastUseNanos() >= ttlNanos) {
      tokens.remove(token, session);
      return Optional.of(EtcdError.INVALID_AUTH_TOKEN);
    }
    tokens.replace(token, session, new Session(session.user(), now));
    return Optional.empty();
  }

  /** The number of tokens held (expired ones included until the next sweep). */
  int tokenCount() {
    return tokens.size();
  }

  private void expire(long now) {
    for (Iterator<Session> it = tokens.values().iterator(); it.hasNext(); ) {
      if (now - it.next().lastUseNanos() >= ttlNanos) it.remove();
    }
  }

  /**
   * Calls as etcd checks them when auth is on: {@code Auth/Authenticate}, {@code Maintenance/Status} and
   * {@code Cluster/MemberList} (which etcd also serves without a token) pass; every other etcd call
   * ({@code etcdserverpb.*}) needs a live token, or is answered etcd's error as a trailers-only gRPC response
   * without reaching its service. Paths that are not etcd's pass. Then {@code next} handles the request.
   */
  Function<HttpRequest, CompletionStage<HttpResponse>> gate(Function<HttpRequest, CompletionStage<HttpResponse>> next,
      Materializer materializer) {
    if (!enabled) return next;
    return request -> {
      String path = request.getUri().path();
      boolean open = !path.startsWith("/etcdserverpb.") || path.equals("/etcdserverpb.Auth/Authenticate")
          || path.equals("/etcdserverpb.Maintenance/Status") || path.equals("/etcdserverpb.Cluster/MemberList");
      if (!open) {
        Optional<EtcdError> refused = refusal(request.getHeader(TOKEN_HEADER).map(HttpHeader::value).orElse(null));
        if (refused.isPresent()) {
          request.discardEntityBytes(materializer);
          return CompletableFuture.completedFuture(grpcError(refused.get()));
        }
      }
      return next.apply(request);
    };
  }

  /** A gRPC trailers-only response: HTTP 200, {@code grpc-status} and {@code grpc-message} in the headers. */
  static HttpResponse grpcError(EtcdError error) {
    return HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.customBinary("application", "grpc", false)),
            new byte[0]))
        .addHeader(RawHeader.create("grpc-status", Integer.toString(error.code().value())))
        .addHeader(RawHeader.create("grpc-message", error.message()));
  }

  // ---- passwords ----

  /** {@code password} as a {@code password-hash} value, with a new random salt. */
  public static String hash(String password) {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    return hash(password, salt, HASH_ITERATIONS);
  }

  static String hash(String password, byte[] salt, int iterations) {
    Base64.Encoder b64 = Base64.getEncoder();
    return HASH_SCHEME + ":" + iterations + ":" + b64.encodeToString(salt) + ":"
        + b64.encodeToString(pbkdf2(password, salt, iterations));
  }

  /** Prints the {@code password-hash} of the password given as the only argument. */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: EtcdAuth <password>   (prints the value for pekko-raft.etcd.auth.users[].password-hash)");
      System.exit(2);
    }
    System.out.println(hash(args[0]));
  }

  private static Credential parseHash(String value, String where) {
    String[] parts = value.split(":");
    try {
      if (parts.length != 4 || !parts[0].equals(HASH_SCHEME)) throw new IllegalArgumentException("wrong layout");
      int iterations = Integer.parseInt(parts[1]);
      if (iterations < 1) throw new IllegalArgumentException("iterations must be 1 or more");
      Base64.Decoder b64 = Base64.getDecoder();
      return new Credential(HASH_SCHEME, iterations, b64.decode(parts[2]), b64.decode(parts[3]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ".password-hash must be " + HASH_SCHEME
          + ":<iterations>:<salt base64>:<hash base64> (EtcdAuth.hash), not readable: " + e.getMessage(), e);
    }
  }

  private static boolean matches(Credential c, String password) {
    if (password == null || password.isEmpty()) return false; // etcd refuses an empty password too
    byte[] presented = c.scheme().equals(HASH_SCHEME) ? pbkdf2(password, c.salt(), c.iterations()) : sha256(password);
    return MessageDigest.isEqual(c.digest(), presented);
  }

  private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is required of every Java runtime", e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }
}
