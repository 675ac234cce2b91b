package io.pekkoraft.chaos.checker;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The check of the etcd workload's watches: each watch saw every revision of its keys exactly once and in
 * order. Pure: it compares each watch's events, in the order it received them, with the reference, the events
 * of every revision from 2 to the final one (one per revision in this workload), read after the faults.
 *
 * <p>The reference itself is checked first: its revisions are 2, 3, ... up to the final revision with none
 * missing and none twice (every write of the workload makes one revision with one event), and every
 * acknowledged write is in it at the revision its response named, with its key and value. Then, for each watch
 * (key prefix, start revision): its revisions strictly increase (no duplicate, no reordering), and its events
 * are exactly the reference's events under its prefix from its start revision to the last revision it had to
 * see, the final one (no gap, nothing made up, same key, type and value).
 */
public final class WatchChecker {

  private WatchChecker() {}

  /** One event: a PUT (value, null for a value that is not a number) or a DELETE (value null) at a revision. */
  public record WatchEvent(long revision, String key, String type, String value) {}

  /** An acknowledged write: its key and value, and the revision of its response's header. */
  public record AckedWrite(long revision, String key, String value) {}

  /** What one watch received, in order; {@code resumes} counts the times it was started again from its last revision + 1. */
  public record Watch(String name, String prefix, long startRevision, List<WatchEvent> events, int resumes) {}

  public record Result(boolean holds, String summary, List<String> violations) {
    @Override
    public String toString() {
      return (holds ? "OK: " : "VIOLATED: ") + summary + (violations.isEmpty() ? "" : "; " + String.join("; ", violations));
    }
  }

  /** At most this many violations are listed per watch. */
  private static final int LISTED = 3;

  public static Result check(List<WatchEvent> reference, long finalRevision, List<AckedWrite> acknowledged,
      List<Watch> watches) {
    List<String> violations = new ArrayList<>();
    // The reference: revisions 2..final, each once, in order.
    long expected = 2;
    for (WatchEvent e : reference) {
      if (e.revision() > finalRevision) break;
      if (e.revision() != expected) {
        violations.add("the reference log has revision " + e.revision() + " where " + expected + " was due");
        break;
      }
      expected++;
    }
    if (violations.isEmpty() && expected != finalRevision + 1) {
      violations.add("the reference log ends at revision " + (expected - 1) + ", the final revision is " + finalRevision);
    }
    java.util.Map<Long, WatchEvent> byRevision = new java.util.HashMap<>();
    for (WatchEvent e : reference) byRevision.put(e.revision(), e);
    for (AckedWrite w : acknowledged) {
      WatchEvent e = byRevision.get(w.revision());
      if (e == null || !e.type().equals("PUT") || !e.key().equals(w.key()) || !Objects.equals(e.value(), w.value())) {
        violations.add("the acknowledged write of " + w.value() + " to " + w.key() + " at revision " + w.revision()
            + " is not in the reference log (there: " + e + ")");
        if (violations.size() > LISTED) break;
      }
    }
    int events = 0;
    for (Watch watch : watches) {
      List<WatchEvent> due = new ArrayList<>();
      for (WatchEvent e : reference) {
        if (e.revision() >= watch.startRevision() && e.revision() <= finalRevision && e.key().startsWith(watch.prefix())) due.add(e);
      }
      List<WatchEvent> seen = new ArrayList<>();
      for (WatchEvent e : watch.events()) if (e.revision() <= finalRevision) seen.add(e);
      events += seen.size();
      int listed = 0;
      long last = watch.startRevision() - 1;
      for (int i = 0; i < seen.size() && listed < LISTED; i++) {
        WatchEvent e = seen.get(i);
        if (!e.key().startsWith(watch.prefix())) {
          violations.add(watch.name() + ": an event of " + e.key() + ", outside its prefix " + watch.prefix());
          listed++;
        } else if (e.revision() == last) {
          violations.add(watch.name() + ": revision " + e.revision() + " twice (event " + (i + 1) + ")");
          listed++;
        } else if (e.revision() < last) {
          violations.add(watch.name() + ": revision " + e.revision() + " after " + last + " (event " + (i + 1) + ")");
          listed++;
        }
        last = Math.max(last, e.revision());
      }
      for (int i = 0; i < Math.max(due.size(), seen.size()) && listed < LISTED; i++) {
        WatchEvent want = i < due.size() ? due.get(i) : null;
        WatchEvent got = i < seen.size() ? seen.get(i) : null;
        if (Objects.equals(want, got)) continue;
        listed++;
        if (got == null) {
          violations.add(watch.name() + ": missed revisions from " + want.revision() + " on (" + (due.size() - i)
              + " events; it saw " + seen.size() + " of " + due.size() + ")");
        } else if (want == null) {
          violations.add(watch.name() + ": an event the log does not have: " + got);
        } else if (got.revision() > want.revision()) {
          violations.add(watch.name() + ": a gap: " + want + " missed, next seen " + got);
        } else {
          violations.add(watch.name() + ": saw " + got + " where the log has " + want);
        }
        break; // after the first difference the rest are shifted: one report per watch
      }
    }
    String summary = watches.size() + " watches, " + events + " events seen, reference log of " + reference.stream()
        .filter(e -> e.revision() <= finalRevision).count() + " revisions (final revision " + finalRevision + "), "
        + acknowledged.size() + " acknowledged writes found in it, "
        + watches.stream().mapToInt(Watch::resumes).sum() + " watches started again from their last revision + 1";
    return new Result(violations.isEmpty(), summary, List.copyOf(violations));
  }
}
