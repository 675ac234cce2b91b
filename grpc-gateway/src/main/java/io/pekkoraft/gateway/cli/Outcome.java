package io.pekkoraft.gateway.cli;

import io.grpc.Status;

/**
 * raftctl's exit codes, one per class of gRPC status, and what a failed call says about whether its command was
 * applied. A shell script branches on the exit code; the message on standard error says what happened.
 *
 * <pre>
 *   0  ok
 *   1  usage error: unknown command or option, missing or malformed argument (nothing was sent)
 *   2  NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS, OUT_OF_RANGE: no such group or member, a malformed
 *      payload or request; not applied
 *   3  UNAVAILABLE: no endpoint reachable, or no leader; a command may have been applied unless the gateway
 *      says it was not
 *   4  DEADLINE_EXCEEDED: the --timeout passed; a command may have been applied (outcome unknown)
 *   5  FAILED_PRECONDITION, ABORTED: refused (membership change in progress, session expired, the state machine
 *      refused the command, a watch from before the retained history); not applied
 *   6  UNAUTHENTICATED, PERMISSION_DENIED: not applied
 *   7  anything else (RESOURCE_EXHAUSTED, INTERNAL, UNIMPLEMENTED, CANCELLED, UNKNOWN, DATA_LOSS, a local failure)
 * </pre>
 */
public final class Outcome {

  public static final int OK = 0;
  public static final int USAGE = 1;
  public static final int NOT_FOUND_OR_INVALID = 2;
  public static final int UNAVAILABLE = 3;
  public static final int DEADLINE_EXCEEDED = 4;
  public static final int REFUSED = 5;
  public static final int UNAUTHENTICATED = 6;
  public static final int OTHER = 7;

  /** The exit codes as picocli lists them under "Exit codes:" in --help. */
  static final String[] HELP = {
      "0:ok",
      "1:usage error (nothing was sent)",
      "2:NOT_FOUND or INVALID_ARGUMENT: no such group or member, malformed payload; not applied",
      "3:UNAVAILABLE: no endpoint reachable, or no leader; a command may have been applied unless the message"
          + " says it was not",
      "4:DEADLINE_EXCEEDED: --timeout passed; a command may have been applied (outcome unknown)",
      "5:FAILED_PRECONDITION or ABORTED: refused (change in progress, session expired, state machine refused);"
          + " not applied",
      "6:UNAUTHENTICATED or PERMISSION_DENIED: not applied",
      "7:any other failure (RESOURCE_EXHAUSTED, INTERNAL, UNIMPLEMENTED, ...)",
  };

  /** What a call does to the group, for the "was it applied" line of a failure. */
  enum Kind {
    /** Changes nothing: status, members, query, watch, keep-alive. */
    READ,
    /** A command outside a session: a retry may apply it twice. */
    COMMAND,
    /** A command in a session (--session and --sequence): a retry with the same numbers applies it at most once. */
    SESSION_COMMAND,
    /** A membership change or leadership transfer. */
    CHANGE,
    /** Opening a session: one opened but not reported expires unused. */
    OPEN_SESSION
  }

  private Outcome() {}

  /** The exit code for a call that failed with {@code code}. */
  public static int exitCode(Status.Code code) {
    return switch (code) {
      case OK -> OK;
      case NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS, OUT_OF_RANGE -> NOT_FOUND_OR_INVALID;
      case UNAVAILABLE -> UNAVAILABLE;
      case DEADLINE_EXCEEDED -> DEADLINE_EXCEEDED;
      case FAILED_PRECONDITION, ABORTED -> REFUSED;
      case UNAUTHENTICATED, PERMISSION_DENIED -> UNAUTHENTICATED;
      default -> OTHER;
    };
  }

  /**
   * The line that says whether a failed call of {@code kind} may have changed the group, or null for a read.
   * {@code sent} is false when no endpoint was reached at all; {@code description} is the gateway's message (it
   * says "not applied" when it knows).
   */
  static String appliedNote(Kind kind, Status.Code code, boolean sent, String description) {
    if (kind == Kind.READ) return null;
    String what = switch (kind) {
      case CHANGE -> "the change";
      case OPEN_SESSION -> "a session";
      default -> "the command";
    };
    boolean unknown = sent && switch (code) {
      case DEADLINE_EXCEEDED, UNKNOWN, INTERNAL, CANCELLED, DATA_LOSS -> true;
      case UNAVAILABLE -> description == null || !description.contains("not applied");
      default -> false;
    };
    if (!unknown) {
      return sent ? what + " was not applied" : "nothing was sent: " + what + " was not applied";
    }
    return switch (kind) {
      case SESSION_COMMAND -> "the command may have been applied (outcome unknown); sending it again with the same"
          + " --session and --sequence applies it at most once";
      case COMMAND -> "the command may have been applied (outcome unknown); outside a session a retry may apply it"
          + " twice (use open-session and --session/--sequence)";
      case CHANGE -> "the change may have been made (outcome unknown); check with 'raftctl members'";
      case OPEN_SESSION -> "a session may have been opened (outcome unknown); unused, it expires";
      case READ -> throw new IllegalStateException("a read has no outcome to report");
    };
  }
}
