using ClusterKernel.Master;
using Xunit;

namespace ClusterKernel.Master.Tests;

/// <summary>The leader lease's rule: the holder's validity counts from when it sent its write; a new holder waits TTL + margin
/// from when it first saw the previous holder's last version.</summary>
public sealed class LeaderLeaseRuleSpec
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5), Margin = TimeSpan.FromSeconds(1);
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
    private static LeaderLeaseRule Rule(string self = "a") => new(self, Ttl, Margin);

    [Fact]
    public void Not_valid_before_any_write()
    {
        Assert.False(Rule().IsValid(S(0)));
        Assert.Equal(TimeSpan.Zero, Rule().Remaining(S(0)));
    }

    [Fact]
    public void Valid_for_the_ttl_from_when_the_write_was_sent_not_when_it_was_answered()
    {
        var rule = Rule();
        rule.Written(sentAt: S(10)); // answered at, say, 12 s: validity still ends at 15 s
        Assert.True(rule.IsValid(S(14.9)));
        Assert.Equal(S(2), rule.Remaining(S(13)));
        Assert.False(rule.IsValid(S(15)));
    }

    [Fact]
    public void A_process_stopped_past_its_ttl_knows_on_resume_that_its_lease_expired()
    {
        var rule = Rule();
        rule.Written(S(10));
        rule.Written(S(11));
        // SIGSTOP at 11.5 s, SIGCONT at 30 s: the monotonic clock kept counting.
        Assert.False(rule.IsValid(S(30)));
    }

    [Fact]
    public void A_late_answer_to_an_older_write_does_not_shorten_the_lease()
    {
        var rule = Rule();
        rule.Written(S(20));
        rule.Written(S(19));
        Assert.True(rule.IsValid(S(24.5)));
    }

    [Fact]
    public void Lost_when_someone_else_wrote_the_row()
    {
        var rule = Rule();
        rule.Written(S(10));
        rule.Lost();
        Assert.False(rule.IsValid(S(11)));
    }

    [Theory]
    [InlineData(null)]  // no row yet
    [InlineData("")]    // released
    public void A_free_row_may_be_taken_at_once(string? owner)
    {
        var rule = Rule();
        Assert.False(rule.MayTake(S(0))); // nothing observed yet
        rule.Observed(owner is null ? null : new LeaseRow(null, 7), S(3));
        Assert.True(rule.MayTake(S(3)));
        Assert.Equal(owner is null ? 0 : 7, rule.ObservedVersion);
    }

    [Fact]
    public void Our_own_row_may_be_taken_at_once()
    {
        var rule = Rule("a");
        rule.Observed(new LeaseRow("a", 4), S(3));
        Assert.True(rule.MayTake(S(3)));
    }

    [Fact]
    public void Another_holders_row_only_after_its_version_stood_still_for_ttl_plus_margin_from_the_first_sight()
    {
        var rule = Rule("b");
        rule.Observed(new LeaseRow("a", 4), S(10));
        rule.Observed(new LeaseRow("a", 4), S(13)); // seen again: the count does not restart
        Assert.False(rule.MayTake(S(15.9)));
        Assert.Equal(S(16), rule.TakeableAt);
        Assert.True(rule.MayTake(S(16)));
    }

    [Fact]
    public void A_renewal_by_the_holder_restarts_the_wait()
    {
        var rule = Rule("b");
        rule.Observed(new LeaseRow("a", 4), S(10));
        rule.Observed(new LeaseRow("a", 5), S(11));
        Assert.False(rule.MayTake(S(16.5)));
        Assert.True(rule.MayTake(S(17)));
    }

    [Fact]
    public void A_new_holder_restarts_the_wait()
    {
        var rule = Rule("c");
        rule.Observed(new LeaseRow("a", 4), S(10));
        rule.Observed(new LeaseRow("b", 5), S(16));
        Assert.False(rule.MayTake(S(17)));
        Assert.Equal("b", rule.ObservedOwner);
    }

    /// <summary>The property itself: whatever the delays, the new holder's first valid instant is after the old holder's last.</summary>
    [Theory]
    [InlineData(0.0, 0.0, 0.0)]
    [InlineData(0.3, 0.9, 0.2)]
    [InlineData(2.0, 0.0, 4.5)]  // a slow database
    [InlineData(0.0, 3.0, 0.0)]  // the observer reads late
    public void The_old_holders_validity_ends_before_the_new_holder_may_take(double writeDelay, double readDelay, double answerDelay)
    {
        // One real timeline, both clocks on it (equal rates; the margin is for rate differences).
        var old = Rule("a");
        var sent = S(100);
        old.Written(sent);                                  // the renewal that the database applied at sent + writeDelay
        var applied = sent + S(writeDelay);
        var observer = Rule("b");
        var received = applied + S(readDelay) + S(answerDelay);
        observer.Observed(new LeaseRow("a", 9), received);  // a read after the write, answered later still
        var takeable = observer.TakeableAt!.Value;
        Assert.False(old.IsValid(takeable));
        Assert.True(takeable - (sent + Ttl) >= Margin);
    }
}
