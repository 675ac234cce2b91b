package io.pekkoraft.gateway.security;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code pekko-raft.gateway.auth}: the bearer tokens a call must carry ({@code authorization: Bearer <token>}),
 * given in the configuration, in a file (read when the gateway starts, {@link BearerTokenAuth#wrap}), or both,
 * and the gRPC services open without one. {@link #toString} never shows the tokens.
 *
 * @param openServices full gRPC service names (e.g. {@code grpc.health.v1.Health}) served without a token
 */
public record AuthSettings(boolean enabled, List<String> tokens, Optional<Path> tokensFile, Set<String> openServices) {

  public static final String PATH = "pekko-raft.gateway.auth";

  /** The shortest token accepted: a shorter one is guessed too easily. */
  public static final int TOKEN_LENGTH_MIN = 16;

  /** RFC 6750's b64token: what fits after {@code Bearer } in an authorization header. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");

  /** No token asked for: every call is served. */
  public static final AuthSettings DISABLED = new AuthSettings(false, List.of(), Optional.empty(), Set.of());

  public AuthSettings {
    tokens = List.copyOf(tokens);
    Objects.requireNonNull(tokensFile, "tokensFile");
    openServices = Set.copyOf(openServices);
    for (int i = 0; i < tokens.size(); i++) checkToken(tokens.get(i), PATH + ".tokens[" + i + "]");
    for (String service : openServices) {
      if (service.isBlank() || service.contains("/")) {
        throw new IllegalArgumentException(PATH + ".open-services: '" + service + "' is not a gRPC service name"
            + " (package.Service, e.g. grpc.health.v1.Health)");
      }
    }
    if (enabled && tokens.isEmpty() && tokensFile.isEmpty()) {
      throw new IllegalArgumentException(PATH + ".enabled = on needs tokens: set " + PATH + ".tokens or "
          + PATH + ".tokens-file");
    }
  }

  /** Reads {@code auth} (the config at {@link #PATH}). */
  public static AuthSettings fromConfig(Config auth) {
    String file = auth.getString("tokens-file").trim();
    return new AuthSettings(auth.getBoolean("enabled"), auth.getStringList("tokens"),
        file.isEmpty() ? Optional.empty() : Optional.of(Path.of(file)),
        Set.copyOf(auth.getStringList("open-services")));
  }

  /** Checks one token; {@code where} names it without showing it. */
  static void checkToken(String token, String where) {
    if (token.length() < TOKEN_LENGTH_MIN) {
      throw new IllegalArgumentException(where + " is shorter than " + TOKEN_LENGTH_MIN + " characters");
    }
    if (!TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException(where + " has a character a bearer token cannot carry (allowed:"
          + " A-Z a-z 0-9 - . _ ~ + / and trailing =)");
    }
  }

  /** For the log, without the tokens. */
  public String summary() {
    return !enabled ? "no bearer token required"
        : openServices.isEmpty() ? "bearer token required" : "bearer token required except for " + openServices;
  }

  @Override
  public String toString() {
    return "AuthSettings[enabled=" + enabled + ", tokens=" + tokens.size() + " (not shown), tokensFile="
        + tokensFile.map(Path::toString).orElse("none") + ", openServices=" + openServices + "]";
  }
}
