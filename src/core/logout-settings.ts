/**
 * Rules for the Flex logout settings: what a valid change looks like, and how the settings
 * become the machine's `LogoutPolicy`.
 */
import { refuse, ok, type Result } from './errors.js';
import type { LogoutPolicy } from './presence.js';
import type { Activity, LogoutSettings } from './resources.js';

export const DEFAULT_THRESHOLD_MS = 30_000;
export const MAX_THRESHOLD_S = 86_400;

export interface LogoutSettingsPatch {
  readonly logoutActivitySid?: string;
  readonly enabled?: boolean;
  /** Whole seconds, as `offline_config.presence_ttl`. */
  readonly thresholdS?: number;
}

/**
 * Validates a patch against the workspace's activities. Returns the settings to store, or a
 * refusal naming the Flex Configuration field at fault.
 */
export function applyLogoutSettingsPatch(
  current: LogoutSettings,
  patch: LogoutSettingsPatch,
  activities: readonly Activity[],
  at: number,
): Result<LogoutSettings> {
  let next: LogoutSettings = { ...current, updatedAt: at };
  if (patch.logoutActivitySid !== undefined) {
    const activity = activities.find((a) => a.sid === patch.logoutActivitySid);
    if (!activity) return refuse('invalid-parameter', `taskrouter_offline_activity_sid ${patch.logoutActivitySid} is not an activity of workspace ${current.workspaceSid}`, 'taskrouter_offline_activity_sid');
    if (activity.available) return refuse('invalid-parameter', `taskrouter_offline_activity_sid must name an unavailable activity; ${activity.friendlyName} is available`, 'taskrouter_offline_activity_sid');
    next = { ...next, logoutActivitySid: activity.sid };
  }
  if (patch.enabled !== undefined) next = { ...next, enabled: patch.enabled };
  if (patch.thresholdS !== undefined) {
    const s = patch.thresholdS;
    if (!Number.isInteger(s) || s < 1 || s > MAX_THRESHOLD_S) {
      return refuse('invalid-parameter', `offline_config.presence_ttl must be a whole number of seconds from 1 to ${MAX_THRESHOLD_S}`, 'offline_config.presence_ttl');
    }
    next = { ...next, thresholdMs: s * 1000 };
  }
  return ok(next);
}

/** The policy the presence machine runs under. */
export function toLogoutPolicy(settings: LogoutSettings, logoutActivity: Activity): LogoutPolicy {
  return {
    enabled: settings.enabled,
    thresholdMs: settings.thresholdMs,
    logoutActivity: { sid: logoutActivity.sid, available: logoutActivity.available },
  };
}
