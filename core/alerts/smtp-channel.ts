import nodemailer from 'nodemailer';
import type { PipelineConfig } from '../../config/schema';
import { type AlertChannel, AlertNotDelivered } from './alert';

/** E-mail through an SMTP server to the configured addresses (local runs; AWS uses SNS e-mail). */
export function smtpChannel(
  smtp: NonNullable<PipelineConfig['alerts']['smtp']>,
  recipients: readonly string[],
): AlertChannel {
  const mailer = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
  });
  return {
    name: 'e-mail alert',
    async send(alert) {
      try {
        await mailer.sendMail({
          from: smtp.from,
          to: [...recipients],
          subject: alert.subject,
          text: alert.message,
        });
      } catch {
        throw new AlertNotDelivered('SMTP server refused or unreachable');
      }
    },
  };
}
