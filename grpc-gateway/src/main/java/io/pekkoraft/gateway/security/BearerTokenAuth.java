package io.pekkoraft.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.HttpCredentials;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * Bearer-token authentication in front of all of the gateway's gRPC services: a call passes on to the
 * services only with {@code authorization: Bearer <token>} naming one of the configured tokens, or for a
 * service in {@code open-services}; any other is answered {@code UNAUTHENTICATED} (a trailers-only gRPC
 * response) without reaching a service.
 *
 * <p>Tokens are kept as SHA-256 digests only and compared with {@link MessageDigest#isEqual} over
 * fixed-length digests, against every configured token each time: how long a comparison takes says
 * nothing about a token's content, length or position. Neither the answer nor the log shows a token.
 */
public final class BearerTokenAuth {

  /** {@code grpc-status} of UNAUTHENTICATED. */
  static final int UNAUTHENTICATED = 16;

  private final List<byte[]> tokenDigests;
  private final Set<String> openServices;

  private BearerTokenAuth(List<byte[]> tokenDigests, Set<String> openServices) {
    this.tokenDigests = tokenDigests;
    this.openServices = openServices;
  }

  /**
   * {@code services} behind the tokens of {@code auth} (read now, the file included), or {@code services}
   * itself if auth is off. The only place where the gateway checks tokens: every service it combines into
   * {@code services} is covered.
   */
  public static Function<HttpRequest, CompletionStage<HttpResponse>> wrap(AuthSettings auth,
      Function<HttpRequest, CompletionStage<HttpResponse>> services, Materializer materializer) {
    if (!auth.enabled()) return services;
    BearerTokenAuth check = new BearerTokenAuth(digests(auth), auth.openServices());
    return request -> {
      Optional<String> refused = check.refusal(request);
      if (refused.isEmpty()) return services.apply(request);
      request.discardEntityBytes(materializer);
      return CompletableFuture.completedFuture(unauthenticated(refused.get()));
    };
  }

  /** Why {@code request} is refused, or empty if it may pass. */
  Optional<String> refusal(HttpRequest request) {
    Iterator<String> segments = request.getUri().pathSegments().iterator();
    // The first path segment is the gRPC service, as the generated handlers read it.
    if (segments.hasNext() && openServices.contains(segments.next())) return Optional.empty();
    Optional<String> token = bearerToken(request);
    if (token.isEmpty()) {
      return Optional.of("this gateway requires a bearer token: send the header 'authorization: Bearer <token>'");
    }
    byte[] presented = sha256(token.get());
    boolean known = false;
    for (byte[] digest : tokenDigests) known |= MessageDigest.isEqual(digest, presented);
    return known ? Optional.empty() : Optional.of("the bearer token is not valid for this gateway");
  }

  private static Optional<String> bearerToken(HttpRequest request) {
    Optional<Authorization> parsed = request.getHeader(Authorization.class);
    if (parsed.isPresent()) {
      HttpCredentials credentials = parsed.get().credentials();
      return credentials.scheme().equalsIgnoreCase("Bearer") ? Optional.of(credentials.token()) : Optional.empty();
    }
    // A header Pekko HTTP could not model stays raw: read "Bearer <token>" from it.
    Optional<HttpHeader> raw = request.getHeader("authorization");
    if (raw.isEmpty()) return Optional.empty();
    String value = raw.get().value().trim();
    int space = value.indexOf(' ');
    if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) return Optional.empty();
    return Optional.of(value.substring(space + 1).trim());
  }

  /** A gRPC trailers-only response: HTTP 200, {@code grpc-status} and {@code grpc-message} in the headers. */
  static HttpResponse unauthenticated(String message) {
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.customBinary("application", "grpc", false)),
            new byte[0]))
        .addHeader(RawHeader.create("grpc-status", Integer.toString(UNAUTHENTICATED)))
        .addHeader(RawHeader.create("grpc-message", message));
  }

  private static List<byte[]> digests(AuthSettings auth) {
    List<byte[]> digests = new ArrayList<>();
    for (String token : auth.tokens()) digests.add(sha256(token));
    if (auth.tokensFile().isPresent()) {
      Path file = auth.tokensFile().get();
      String where = AuthSettings.PATH + ".tokens-file '" + file.toAbsolutePath() + "'";
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException(where + " cannot be read: " + e, e);
      }
      int found = 0;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).trim();
        if (line.isEmpty() || line.startsWith("#")) continue;
        AuthSettings.checkToken(line, where + " line " + (i + 1));
        digests.add(sha256(line));
        found++;
      }
      if (found == 0) throw new IllegalArgumentException(where + " holds no token (one per line, # for comments)");
    }
    return List.copyOf(digests);
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
