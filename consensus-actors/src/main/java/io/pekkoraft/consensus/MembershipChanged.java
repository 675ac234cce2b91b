package io.pekkoraft.consensus;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;

/**
 * Published on the ActorSystem's event stream whenever the configuration in effect on a Raft server
 * changes: a configuration entry appended (in effect at once, committed or not), one rolled back by a
 * truncation, one installed with a snapshot, or the one a server recovered when it starts. Also when an
 * entry in effect becomes committed ({@code membership.committed()}), so a subscriber sees a change
 * finish. Subscribe like {@link RoleChanged}:
 * {@code system.eventStream().tell(new EventStream.Subscribe<>(MembershipChanged.class, ref))}.
 */
public record MembershipChanged(String groupId, String memberId, Membership membership)
    implements NoSerializationVerificationNeeded {}
