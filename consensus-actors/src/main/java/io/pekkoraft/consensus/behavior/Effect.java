package io.pekkoraft.consensus.behavior;

/**
 * What a command handler decided, like Pekko's {@code EventSourcedBehavior} effects: the events to
 * replicate (none, one, or several committed atomically in one log entry), and what to do once they are
 * committed and applied on the leader. Made by {@link ReplicatedBehavior#Effect()}.
 *
 * @param <Event> the behavior's events
 * @param <State> the behavior's state
 */
public interface Effect<Event, State> {}
