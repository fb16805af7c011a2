/**
 * An alert, and the one interface every way of delivering it implements. Alert texts carry run
 * id, table, stage, error class and counts only: never a value, never a credential.
 */
export interface Alert {
  subject: string;
  message: string;
}

export interface AlertChannel {
  /** Shown when a delivery fails, e.g. `Slack alert`. */
  readonly name: string;
  /** Delivers the alert; throws an {@link AlertNotDelivered} with a short reason when it cannot. */
  send(alert: Alert): Promise<void>;
}

/** A delivery that failed; its message is a short reason safe to print (no URL, no credential). */
export class AlertNotDelivered extends Error {
  override name = 'AlertNotDelivered';
}

/**
 * Sends an alert through every channel. A channel that fails is reported through `report`
 * (`(Slack alert not delivered: HTTP 500)`), never fatal: the run goes on.
 */
export async function deliverAlert(
  channels: readonly AlertChannel[],
  alert: Alert,
  report: (line: string) => void,
): Promise<void> {
  for (const channel of channels) {
    try {
      await channel.send(alert);
    } catch (error) {
      const reason = error instanceof AlertNotDelivered ? error.message : 'delivery failed';
      report(`(${channel.name} not delivered: ${reason})`);
    }
  }
}

/** The console: every alert of a local run is printed, whatever else is configured. */
export function consoleChannel(out: (line: string) => void): AlertChannel {
  return {
    name: 'console alert',
    send: async (alert) => out(`ALERT ${alert.subject}: ${alert.message}`),
  };
}
