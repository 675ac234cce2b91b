package io.pekkoraft.consensus.behavior;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.japi.function.Procedure;

/**
 * An {@link Effect} to which side effects can be added. They run in the order added, on the leader that
 * decided the command, once the events are committed and applied, with the state after them; for an
 * effect without events ({@code none()}), once the read is confirmed under the chosen read consistency.
 * They do not run when the events were not committed (a deposed leader, a conflict): the command is
 * then handled again where the group leads.
 */
public interface EffectBuilder<Event, State> extends Effect<Event, State> {

  /** Run {@code callback} with the state after the events (side effects belong here, never in event handlers). */
  EffectBuilder<Event, State> thenRun(Procedure<State> callback);

  /** Handle the commands stashed so far again, after the other side effects. */
  EffectBuilder<Event, State> thenUnstashAll();

  /** Send {@code replyTo} the message made from the state after the events. */
  <ReplyMessage> ReplyEffect<Event, State> thenReply(ActorRef<ReplyMessage> replyTo, Function<State, ReplyMessage> replyWithModel);

  /** No reply: for {@link ReplicatedBehaviorWithEnforcedReplies}, a command that has nobody to answer. */
  ReplyEffect<Event, State> thenNoReply();
}
