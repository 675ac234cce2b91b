package io.pekkoraft.consensus;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;

/**
 * Published on the ActorSystem's event stream whenever a Raft server changes role or term. Subscribe to
 * it for monitoring ({@code system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, ref))}).
 * {@code leaderId} is the leader this server knows of, or null.
 */
public record RoleChanged(String groupId, String memberId, RaftRole role, long term, String leaderId)
    implements NoSerializationVerificationNeeded {}
