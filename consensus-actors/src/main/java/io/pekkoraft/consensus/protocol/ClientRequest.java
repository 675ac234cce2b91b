package io.pekkoraft.consensus.protocol;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReadOptions;
import io.pekkoraft.persistence.serialization.RaftSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A request from a client. Commands and queries travel already serialized (once, by the client), so that
 * forwarding and replication never serialize them again. {@code hops} counts forwards between servers, so
 * a request chasing a moving leader stops instead of circling.
 */
public sealed interface ClientRequest extends ServerCommand, RaftSerializable {

  ActorRef<ClientReply> replyTo();

  int hops();

  /**
   * 0, or a number the client chose: then the answer arrives wrapped in {@link ClientEnvelope.Tagged} with
   * it, so that one long-lived actor of the client can take the answers of all its requests (no
   * temporary actor per request, whose one-off address every remote answer would have to resolve). A
   * request with a tag promises that its {@code replyTo} takes every {@link ClientEnvelope}.
   */
  long tag();

  /** The {@code replyTo} of a tagged request, as the envelope-taking actor its tag promises it is. */
  default ActorRef<ClientEnvelope> envelopeReplyTo() {
    return replyTo().unsafeUpcast();
  }

  ClientRequest forwarded();

  /** Answer this request: to its replyTo, wrapped with its tag when it has one. */
  default void reply(ClientReply reply) {
    if (tag() == 0) {
      replyTo().tell(reply);
    } else {
      envelopeReplyTo().tell(new ClientEnvelope.Tagged(tag(), reply));
    }
  }

  /**
   * A command. In a client session ({@code sessionId > 0}) it carries its {@code sequence} in the session
   * (1, 2, ...; a retry carries the same one) and {@code ackedSequence}, the sequence up to which the client
   * has received every answer (the state machine runner may forget those answers). {@code sessionId == 0}: no
   * session, applied as often as it is submitted. {@link #openSession} and {@link #keepAlive} are the
   * session's own requests, with no command.
   */
  record ClientCommand(byte[] command, long sessionId, long sequence, long ackedSequence, int hops, long tag,
      ActorRef<ClientReply> replyTo) implements ClientRequest {

    /** The {@code sessionId} of a request that opens a session. */
    public static final long OPEN_SESSION = -1;

    public ClientCommand {
      if (sessionId < OPEN_SESSION) throw new IllegalArgumentException("session id " + sessionId);
      if (sequence < 0 || ackedSequence < 0) {
        throw new IllegalArgumentException("sequence " + sequence + " / acknowledged " + ackedSequence);
      }
    }

    /** A command outside any session. */
    public ClientCommand(byte[] command, int hops, long tag, ActorRef<ClientReply> replyTo) {
      this(command, 0, 0, 0, hops, tag, replyTo);
    }

    public ClientCommand(byte[] command, int hops, ActorRef<ClientReply> replyTo) {
      this(command, hops, 0, replyTo);
    }

    /** Opens a session: answered {@code Applied(sessionId)} once its entry is applied. */
    public static ClientCommand openSession(int hops, long tag, ActorRef<ClientReply> replyTo) {
      return new ClientCommand(new byte[0], OPEN_SESSION, 0, 0, hops, tag, replyTo);
    }

    /** Keeps {@code sessionId} alive through the log: answered {@code Applied(sessionId)}, or SessionExpired. */
    public static ClientCommand keepAlive(long sessionId, int hops, long tag, ActorRef<ClientReply> replyTo) {
      return new ClientCommand(new byte[0], sessionId, 0, 0, hops, tag, replyTo);
    }

    public boolean opensSession() {
      return sessionId == OPEN_SESSION;
    }

    public boolean isKeepAlive() {
      return sessionId > 0 && sequence == 0;
    }

    /** Carries a command of the user (no session, or a sequence in one). */
    public boolean hasCommand() {
      return sessionId == 0 || sequence > 0;
    }

    @Override
    public ClientCommand forwarded() {
      return new ClientCommand(command, sessionId, sequence, ackedSequence, hops + 1, tag, replyTo);
    }
  }

  /**
   * A read. {@code maxLagEntries} and {@code minIndex} bound a STALE read ({@code ReadOptions}; -1 and 0: no
   * bound): a node further behind answers {@link ClientReply.TooStale}.
   */
  record ClientQuery(byte[] query, ReadConsistency consistency, long maxLagEntries, long minIndex, int hops, long tag,
      ActorRef<ClientReply> replyTo) implements ClientRequest {
    public ClientQuery(byte[] query, ReadConsistency consistency, int hops, long tag, ActorRef<ClientReply> replyTo) {
      this(query, consistency, ReadOptions.UNBOUNDED, 0, hops, tag, replyTo);
    }

    public ClientQuery(byte[] query, ReadConsistency consistency, int hops, ActorRef<ClientReply> replyTo) {
      this(query, consistency, hops, 0, replyTo);
    }

    /** A read with {@code options}: its consistency and, for a STALE read, its bound. */
    public static ClientQuery of(byte[] query, ReadOptions options, int hops, long tag, ActorRef<ClientReply> replyTo) {
      return new ClientQuery(query, options.consistency(), options.maxLagEntries(), options.minIndex(), hops, tag, replyTo);
    }

    /** Has this (STALE) read a bound? */
    public boolean bounded() {
      return maxLagEntries != ReadOptions.UNBOUNDED || minIndex != 0;
    }

    @Override
    public ClientQuery forwarded() {
      return new ClientQuery(query, consistency, maxLagEntries, minIndex, hops + 1, tag, replyTo);
    }
  }
}
