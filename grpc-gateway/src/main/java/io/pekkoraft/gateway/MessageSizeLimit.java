package io.pekkoraft.gateway;

import io.grpc.Status;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.internal.GrpcProtocolNative;
import org.apache.pekko.grpc.internal.Identity$;
import org.apache.pekko.japi.function.Function;

/**
 * {@code pekko-raft.gateway.max-message-size} on requests: each request's body (the gRPC messages of one call,
 * each with its 5-byte frame header) may hold at most that many bytes; what comes beyond is read and dropped,
 * never held in memory, and the RaftService answers RESOURCE_EXHAUSTED. Unary calls carry one message, so this is the largest message; a streaming call
 * (reflection) is bounded as a whole. It replaces Pekko HTTP's own limit
 * ({@code pekko.http.server.parsing.max-content-length}, 8 MiB, which was answered as an INTERNAL error). Pekko gRPC
 * builds the error response (its internal protocol writer, as its own handlers do).
 */
final class MessageSizeLimit {

  /** gRPC's frame header: a compression flag and a 4-byte length. */
  private static final int FRAME_HEADER_BYTES = 5;

  private MessageSizeLimit() {}

  static Function<HttpRequest, CompletionStage<HttpResponse>> around(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, int maxMessageSize, ClassicActorSystemProvider system) {
    long limit = (long) maxMessageSize + FRAME_HEADER_BYTES;
    return request -> {
      // Bytes past the limit are read and dropped, never held, and the call is answered RESOURCE_EXHAUSTED once the
      // client has sent them all. Answering at once, while the client still sends, makes HTTP/2 reset the stream:
      // the client would see CANCELLED, not why.
      AtomicLong seen = new AtomicLong();
      Source<ByteString, Object> bounded = request.entity().withoutSizeLimit().getDataBytes()
          .filter(bytes -> seen.addAndGet(bytes.size()) <= limit);
      RequestEntity entity = HttpEntities.createChunked(request.entity().getContentType(), bounded);
      return handler.apply(request.withEntity(entity)).thenApply(response -> seen.get() <= limit ? response
          : GrpcExceptionHandler.standard(new GrpcServiceException(Status.RESOURCE_EXHAUSTED.withDescription(
              "the request of " + (seen.get() - FRAME_HEADER_BYTES) + " bytes is larger than"
              + " pekko-raft.gateway.max-message-size (" + maxMessageSize + " bytes); nothing done")),
              GrpcProtocolNative.newWriter(Identity$.MODULE$), system));
    };
  }
}
