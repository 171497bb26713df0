package io.basalt.core.meta;

/**
 * One candidate's campaign for leadership: campaigns, leads until leadership is lost (the lease
 * behind it expired, or the metadata was unreachable for longer), then campaigns again, until closed.
 */
public interface LeaderElection extends AutoCloseable {

    /** Told when this process starts and stops leading. */
    interface Listener {
        void elected();

        void lost();
    }

    LeaderElection start();

    boolean isLeader();

    /** Resigns (if leading) and stops campaigning. */
    @Override
    void close();
}
