package io.pekkoraft.gateway.cli;

import io.grpc.Status;

/**
 * A call that failed: the status it ended with, the endpoint that answered it (or the last one tried), and whether
 * the request reached any gateway at all ({@code sent} false: no endpoint could be connected to, so nothing was
 * applied).
 */
final class CallFailure extends RuntimeException {

  final Status status;
  final String endpoint;
  final boolean sent;

  CallFailure(Status status, String endpoint, boolean sent, String message) {
    super(message, null, false, false);
    this.status = status;
    this.endpoint = endpoint;
    this.sent = sent;
  }

  /** A failure the gateway at {@code endpoint} answered, or that broke the call after it was sent there. */
  static CallFailure answered(Status status, String endpoint) {
    return new CallFailure(status, endpoint, true, status.getCode() + " from " + endpoint + ": " + describe(status));
  }

  /** The status's description and its cause's message, if any. */
  static String describe(Status status) {
    String description = status.getDescription() == null ? "(no message)" : status.getDescription();
    Throwable cause = status.getCause();
    while (cause != null && cause.getCause() != null && cause.getMessage() == null) cause = cause.getCause();
    return cause == null || cause.getMessage() == null ? description : description + ": " + cause.getMessage();
  }
}
