package io.pekkoraft.benchmarks;

import java.io.Serializable;

/**
 * The messages between W1's clients and the SOFAJRaft members, as SOFAJRaft's counter example writes them:
 * plain serializable classes that its RPC (Bolt) serializes with Hessian. Mutable fields and a no-argument
 * constructor, as Hessian needs them.
 */
final class SofaJRaftMessages {

  private SofaJRaftMessages() {}

  /** W1's command: the payload bytes (an 8-byte big-endian increment, then filler), submitted to the leader. */
  static final class AddRequest implements Serializable {
    private static final long serialVersionUID = 1L;
    byte[] payload;

    AddRequest() {}

    AddRequest(byte[] payload) {
      this.payload = payload;
    }
  }

  /**
   * The answer: the register's new value once the command is committed and applied on the leader; or
   * {@code success = false} with the leader's address in {@code redirect} when the member asked does not lead.
   */
  static final class AddResponse implements Serializable {
    private static final long serialVersionUID = 1L;
    boolean success;
    long value;
    String redirect;
    String error;

    AddResponse() {}

    static AddResponse applied(long value) {
      AddResponse r = new AddResponse();
      r.success = true;
      r.value = value;
      return r;
    }

    static AddResponse failed(String error, String redirect) {
      AddResponse r = new AddResponse();
      r.error = error;
      r.redirect = redirect;
      return r;
    }
  }
}
