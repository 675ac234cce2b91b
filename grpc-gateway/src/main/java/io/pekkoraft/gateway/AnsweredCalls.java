package io.pekkoraft.gateway;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.internal.GrpcProtocolNative;
import org.apache.pekko.grpc.internal.Identity$;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Around all of the gateway's services: every request gets a gRPC answer and gives its HTTP/2 stream back.
 *
 * <ul>
 *   <li>A service whose answer fails instead of being a gRPC error response (Pekko gRPC's does for a
 *       {@code grpc-encoding} it does not support), or that throws, is answered with the status of that failure
 *       ({@code UNIMPLEMENTED} for the encoding; otherwise as {@link CallErrors#mapper()} maps it): Pekko HTTP
 *       would close the whole HTTP/2 connection (INTERNAL_ERROR), and every call on it with it.
 *   <li>A request whose body nobody read once it is answered (an unknown method, a trailers-only error) has
 *       its body discarded. Pekko HTTP keeps an HTTP/2 stream open until its request body has been read or
 *       discarded, and refuses new streams on a connection (RST_STREAM REFUSED_STREAM, {@code UNAVAILABLE}
 *       at the client) once {@code pekko.http.server.http2.max-concurrent-streams} are open: without this, 256
 *       calls to an unknown method made that connection useless for as long as it lived.
 * </ul>
 */
final class AnsweredCalls {

  private AnsweredCalls() {}

  static Function<HttpRequest, CompletionStage<HttpResponse>> around(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, Materializer materializer,
      ClassicActorSystemProvider system) {
    return request -> {
      // The body goes either to the service or, unread when the call is answered, to the discard: whichever
      // asks first has it.
      AtomicBoolean taken = new AtomicBoolean();
      Source<ByteString, Object> body = request.entity().withoutSizeLimit().getDataBytes();
      Source<ByteString, CompletionStage<Object>> forService = Source.fromMaterializer((mat, attributes) ->
          taken.compareAndSet(false, true) ? body
              : Source.<ByteString>failed(new IllegalStateException("the request body was discarded already"))
                  .mapMaterializedValue(notUsed -> (Object) notUsed));
      Runnable discardUnread = () -> {
        if (taken.compareAndSet(false, true)) body.runWith(Sink.ignore(), materializer);
      };
      HttpRequest tracked = request.withEntity(HttpEntities.createChunked(request.entity().getContentType(),
          forService));
      CompletionStage<HttpResponse> answer;
      try {
        answer = handler.apply(tracked);
      } catch (Exception thrown) {
        answer = CompletableFuture.failedFuture(thrown);
      }
      return answer
          .exceptionally(failure -> GrpcExceptionHandler.standard(CallErrors.unwrap(failure), CallErrors.mapper(),
              GrpcProtocolNative.newWriter(Identity$.MODULE$), system))
          .thenApply(response -> released(response, discardUnread));
    };
  }

  /**
   * {@code response}, the request body discarded if unread when the response is complete: at once for a
   * strict response; for a streamed one (reflection's answers read the request as they go) when it ends.
   */
  private static HttpResponse released(HttpResponse response, Runnable discardUnread) {
    ResponseEntity entity = response.entity();
    if (entity.isStrict()) {
      discardUnread.run();
      return response;
    }
    if (entity instanceof org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked chunked) {
      return response.withEntity(new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(chunked.contentType(),
          chunked.chunks().asJava().watchTermination((mat, done) -> {
            done.whenComplete((ok, failed) -> discardUnread.run());
            return mat;
          }).asScala()));
    }
    return response.withEntity(HttpEntities.createChunked(entity.getContentType(),
        entity.getDataBytes().watchTermination((mat, done) -> {
          done.whenComplete((ok, failed) -> discardUnread.run());
          return mat;
        })));
  }
}
