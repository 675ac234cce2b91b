package io.pekkoraft.gateway;

import io.grpc.Status;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.protocol.MembershipReply;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.grpc.GrpcServiceException;

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
