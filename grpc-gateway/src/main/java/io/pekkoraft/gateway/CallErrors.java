package io.pekkoraft.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.protocol.MembershipReply;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.http.scaladsl.model.http2.PeerClosedStreamException;

/**
 * How the gateway's calls fail: every outcome of a request as a gRPC status whose message says what happened
 * and, for a command, whether it may have been applied (the table in raft.proto's header).
 */
final class CallErrors {

  private CallErrors() {}

  static GrpcServiceException status(Status.Code code, String message) {
    return new GrpcServiceException(Status.fromCode(code).withDescription(message));
  }

  static GrpcServiceException invalid(String message) {
    return status(Status.Code.INVALID_ARGUMENT, message);
  }

  /**
   * Pekko gRPC's exception mapper for what fails before a call reaches a service, or after its client left:
   * a request that is not a protobuf message of the method's type, or whose gRPC frame is cut short, is the
   * client's mistake (INVALID_ARGUMENT, not logged), and a stream the client cancelled is CANCELLED (not
   * logged); anything else as Pekko gRPC's default (INTERNAL, logged as an error). Every message is
   * {@link #bounded}: a status of any service served with this mapper never carries more than
   * {@link #MESSAGE_BYTES_MAX} bytes of message.
   */
  static org.apache.pekko.japi.Function<ActorSystem, org.apache.pekko.japi.Function<Throwable, Trailers>> mapper() {
    return system -> {
      org.apache.pekko.japi.Function<Throwable, Trailers> standard = GrpcExceptionHandler.defaultMapper().apply(system);
      return failure -> bounded(map(standard, failure));
    };
  }

  /**
   * The most a status message may take in the response's headers, percent-encoded as grpc-message is. A client
   * refuses a header block over its limit (grpc-java: 8 KiB) as a protocol error of the whole connection, failing
   * every call on it ("http2 exception"); a message that quotes a hostile request (a 60 KiB group name) must not
   * reach that.
   */
  static final int MESSAGE_BYTES_MAX = 2048;

  /** {@code trailers} with a message of at most {@link #MESSAGE_BYTES_MAX} bytes as grpc-message, cut with "...". */
  static Trailers bounded(Trailers trailers) {
    String message = trailers.status().getDescription();
    if (message == null) return trailers;
    int bytes = 0;
    for (int i = 0; i < message.length(); i++) {
      char ch = message.charAt(i);
      // grpc-message: printable ASCII but '%' as is, any other byte of the UTF-8 form as %XX
      bytes += ch >= 0x20 && ch < 0x7f && ch != '%' ? 1 : ch < 0x80 ? 3 : ch < 0x800 ? 6 : 9;
      if (bytes > MESSAGE_BYTES_MAX - 40) {
        return new Trailers(trailers.status().withDescription(message.substring(0, i) + "... (cut: "
            + message.length() + " characters)"), trailers.metadata());
      }
    }
    return trailers;
  }

  private static Trailers map(org.apache.pekko.japi.Function<Throwable, Trailers> standard, Throwable failure)
      throws Exception {
    Throwable t = unwrap(failure);
    if (t instanceof InvalidProtocolBufferException) {
      return new Trailers(Status.INVALID_ARGUMENT.withDescription(
          "the request is not a protobuf message of the method's type: " + t.getMessage()));
    }
    if (t instanceof IllegalStateException && t.getMessage() != null
        && t.getMessage().startsWith("truncated data in ByteStringParser")) {
      return new Trailers(Status.INVALID_ARGUMENT.withDescription(
          "the request ends inside a gRPC message: its frame header announces more bytes than were sent"));
    }
    if (t instanceof java.util.zip.ZipException) {
      return new Trailers(Status.INVALID_ARGUMENT.withDescription(
          "the request's message is not in its grpc-encoding: " + t.getMessage()));
    }
    if (t instanceof io.grpc.StatusException e && e.getStatus().getCode() == Status.Code.INTERNAL
        && String.valueOf(e.getStatus().getDescription()).startsWith("Compressed-Flag bit is set")) {
      return new Trailers(Status.INVALID_ARGUMENT.withDescription(
          "the request's message is marked compressed but the call names no grpc-encoding"));
    }
    if (t instanceof PeerClosedStreamException) {
      return new Trailers(Status.CANCELLED.withDescription("the client cancelled the call"));
    }
    return standard.apply(t);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** A failed command (Submit, OpenSession, KeepAlive): {@code what} names it in the message. */
  static GrpcServiceException command(String group, String what, Throwable failure, CallDeadline deadline,
      long requestBytesMax) {
    Throwable t = unwrap(failure);
    if (t instanceof GrpcServiceException g) return g;
    String in = " (group " + group + ")";
    if (t instanceof RaftException.NotLeader n) {
      return status(Status.Code.UNAVAILABLE, "no leader could be reached within " + deadline.timeout().toMillis()
          + " ms" + (n.leaderId() == null ? " (an election is under way, or no quorum)" : " (last named: "
          + n.leaderId() + ")") + in + "; the " + what + " was not applied: safe to retry");
    }
    if (t instanceof RaftException.Timeout || t instanceof TimeoutException) {
      String outcome = "; the " + what + " may have been applied (outcome unknown): in a session, send it again"
          + " with the same session_id and sequence to learn its result";
      if (deadline.passed()) {
        return status(Status.Code.DEADLINE_EXCEEDED, "the deadline (" + deadline.timeout().toMillis() + " ms) passed"
            + " before the " + what + " was settled" + in + ": " + t.getMessage() + outcome);
      }
      return status(Status.Code.UNAVAILABLE, "the leader changed or did not answer" + in + ": " + t.getMessage()
          + outcome + " (without a session the gateway never sends a command twice)");
    }
    if (t instanceof RaftException.NoQuorum) {
      return status(Status.Code.UNAVAILABLE, "the leader lost its quorum" + in + ": " + t.getMessage() + "; the "
          + what + " may have been applied (outcome unknown)");
    }
    if (t instanceof RaftException.Rejected r) {
      if (r.getMessage() != null && r.getMessage().contains("request-bytes-max")) {
        return status(Status.Code.RESOURCE_EXHAUSTED, "the " + what + " is larger than the group accepts"
            + " (pekko-raft.client.request-bytes-max = " + requestBytesMax + " bytes)" + in + ": " + r.getMessage()
            + "; not applied");
      }
      return status(Status.Code.ABORTED, "the " + what + " was refused and not applied" + in + ": " + r.getMessage());
    }
    if (t instanceof RaftException.CommandFailed f) {
      return status(Status.Code.FAILED_PRECONDITION, "the state machine refused the " + what + in + ", committed at"
          + " index " + f.index() + " and refused alike by every member, the state unchanged: " + f.getMessage());
    }
    if (t instanceof RaftException.SessionExpired e) {
      return status(Status.Code.FAILED_PRECONDITION, e.getMessage() + in + "; open a new session");
    }
    if (t instanceof RaftException.ServerStopped s) {
      return status(Status.Code.UNAVAILABLE, s.getMessage());
    }
    return status(Status.Code.INTERNAL, "the " + what + " failed" + in + ": " + t);
  }

  /** A failed read: never applied anything, so no outcome to report. */
  static GrpcServiceException query(String group, Throwable failure, CallDeadline deadline, long requestBytesMax) {
    Throwable t = unwrap(failure);
    if (t instanceof GrpcServiceException g) return g;
    String in = " (group " + group + ")";
    if (t instanceof RaftException.TooStale s) {
      return status(Status.Code.FAILED_PRECONDITION, "this member is too far behind for the read's bound" + in + ": "
          + s.getMessage() + " (applied index " + s.appliedIndex() + ", " + s.entriesBehind()
          + " entries short); not served: retry later or on another member");
    }
    if (t instanceof RaftException.NotLeader n) {
      return status(Status.Code.UNAVAILABLE, "no leader could be reached within " + deadline.timeout().toMillis()
          + " ms" + in + "; the read was not served: safe to retry");
    }
    if (t instanceof RaftException.Timeout || t instanceof TimeoutException || t instanceof RaftException.NoQuorum) {
      return status(deadline.passed() ? Status.Code.DEADLINE_EXCEEDED : Status.Code.UNAVAILABLE,
          "the read was not served" + in + ": " + t.getMessage());
    }
    if (t instanceof RaftException.Rejected r && r.getMessage() != null && r.getMessage().contains("request-bytes-max")) {
      return status(Status.Code.RESOURCE_EXHAUSTED, "the query is larger than the group accepts"
          + " (pekko-raft.client.request-bytes-max = " + requestBytesMax + " bytes)" + in + ": " + r.getMessage());
    }
    if (t instanceof RaftException.Rejected r) {
      return status(Status.Code.ABORTED, "the read was refused" + in + ": " + r.getMessage());
    }
    if (t instanceof RaftException.CommandFailed f) {
      return status(Status.Code.FAILED_PRECONDITION, "the state machine refused the query" + in + ": " + f.getMessage());
    }
    if (t instanceof RaftException.ServerStopped s) return status(Status.Code.UNAVAILABLE, s.getMessage());
    return status(Status.Code.INTERNAL, "the read failed" + in + ": " + t);
  }

  /** A membership change the leader refused: nothing changed. */
  static GrpcServiceException refused(String group, MembershipReply.Refused r) {
    String message = r.reason() + ": " + r.message() + " (group " + group + "); nothing changed";
    if (r.reason() == MembershipReply.RefusalReason.INVALID_REQUEST) return invalid(message);
    String hint = switch (r.reason()) {
      case CONFIGURATION_CHANGE_IN_PROGRESS, CHANGE_IN_PROGRESS_JOINT ->
          "; a membership change is in progress: retry once it is committed";
      case NOT_CAUGHT_UP -> "; the learner has not caught up with the leader's log yet: retry later";
      case LEADERSHIP_TRANSFER_IN_PROGRESS -> "; retry once the leadership transfer ended";
      default -> "";
    };
    return status(Status.Code.FAILED_PRECONDITION, message + hint);
  }
}
