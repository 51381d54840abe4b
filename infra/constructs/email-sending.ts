import * as events from 'aws-cdk-lib/aws-events';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EmailSendingProps {
  /** Name of the configuration set to create. */
  readonly configurationSetName: string;
}

/** Events the configuration set publishes to EventBridge; ses-feedback consumes them. */
export const PUBLISHED_EMAIL_EVENTS = [
  // SEND proves SES accepted an email: it resolves claims whose outcome was unknown (reconciliation).
  ses.EmailSendingEvent.SEND,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.OPEN,
  ses.EmailSendingEvent.CLICK,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
];

/**
 * The SES configuration set the win-back emails are sent through, publishing delivery events to the default
 * EventBridge bus (the only bus SES can publish to). The email identity itself is NOT created here: it is
 * verified once by hand with DKIM, SPF and DMARC (docs/deploy.md), and outlives any stack.
 */
export class EmailSending extends Construct {
  readonly configurationSet: ses.ConfigurationSet;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: props.configurationSetName,
      // Per-configuration-set bounce and complaint rates, next to the account-level ones.
      reputationMetrics: true,
      sendingEnabled: true,
      // Never retry an address that hard-bounced or complained, whatever the account-level setting.
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('EventBridge', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: PUBLISHED_EMAIL_EVENTS,
    });
  }
}
