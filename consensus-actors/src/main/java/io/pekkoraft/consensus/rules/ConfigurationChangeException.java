package io.pekkoraft.consensus.rules;

/**
 * A configuration change that {@link ConfigurationChanges} refuses: an operational condition (the request
 * does not fit the current configuration), which the membership layer turns into a typed reply. Checked,
 * so that no caller forgets to answer it. A broken configuration given to the planner is not one of these
 * but an {@link IllegalStateException}.
 */
public final class ConfigurationChangeException extends Exception {

  /** Why a change was refused. */
  public enum Reason {
    /** The member named is neither a voter nor a learner. */
    NOT_A_MEMBER("is not a member"),
    /** The member to add is already a voter or a learner (a learner becomes a voter by promote). */
    ALREADY_A_MEMBER("is already a member"),
    /** Promote needs a learner; the member is a voter already. */
    NOT_A_LEARNER("is not a learner"),
    /** Demote needs a voter; the member is a learner. */
    NOT_A_VOTER("is not a voter"),
    /** The change would leave no voter, and a group without voters can never elect a leader again. */
    WOULD_REMOVE_LAST_VOTER("would leave the configuration without a voter"),
    /** The target names a member as both voter and learner. */
    BOTH_VOTER_AND_LEARNER("cannot be both a voter and a learner"),
    /**
     * The configuration is joint: only leaving it is allowed until then (thesis §4.3, etcd's confchange:
     * "config is already joint").
     */
    CHANGE_IN_PROGRESS_JOINT("cannot be changed while the configuration is joint: leave it first"),
    /** Leaving joint consensus needs a joint configuration. */
    NOT_JOINT("cannot leave joint consensus: the configuration is not joint"),
    /**
     * More than one voter would change in one step. Thesis §4.1: only a change of one voter keeps every
     * majority of the old voters overlapping every majority of the new; more needs joint consensus (§4.3).
     */
    NEEDS_JOINT("changes more than one voter: that needs joint consensus");

    /** What is wrong, as the end of a sentence whose subject is the member or the change. */
    public final String description;

    Reason(String description) {
      this.description = description;
    }
  }

  private final Reason reason;

  public ConfigurationChangeException(Reason reason, String subject, Configuration config) {
    super(subject + " " + reason.description + " (" + reason + ", configuration " + config + ")");
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
