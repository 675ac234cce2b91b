package io.pekkoraft.consensus.behavior;

/**
 * An {@link Effect} that has decided its reply (or decided explicitly that there is none). The command
 * handler of a {@link ReplicatedBehaviorWithEnforcedReplies} must return one, so a forgotten reply does
 * not compile, as with Pekko's {@code EventSourcedBehaviorWithEnforcedReplies}.
 */
public interface ReplyEffect<Event, State> extends Effect<Event, State> {

  /** Handle the commands stashed so far again, after the reply. */
  ReplyEffect<Event, State> thenUnstashAll();
}
