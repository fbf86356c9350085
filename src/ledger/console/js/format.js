// How figures read: money with the business's currency, times in its time zone, decimals
// exactly as the API sends them (Intl formats a decimal string without a float in between).

export function formatter({ timezone, currency }) {
  const money = new Intl.NumberFormat(undefined, { style: "currency", currency });
  const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 20 });
  const fixed2 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const dateTime = new Intl.DateTimeFormat(undefined, { timeZone: timezone, dateStyle: "medium", timeStyle: "short" });
  const date = new Intl.DateTimeFormat(undefined, { timeZone: timezone, dateStyle: "medium" });
  const calendarDay = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" });
  const none = "–";
  const known = (value) => value !== null && value !== undefined && value !== "";
  return {
    timezone,
    currency,
    money: (value) => (known(value) ? money.format(value) : none),
    number: (value) => (known(value) ? decimal.format(value) : none),
    /** A percentage the API gives in percent ("85.19"). */
    pct: (value) => (known(value) ? `${fixed2.format(value)} %` : none),
    /** A rate the API gives as a fraction ("0.019826"), shown as it is. */
    rate: (value) => (known(value) ? decimal.format(value) : none),
    /** An RFC 3339 time, in the business time zone. */
    dateTime: (value) => (known(value) ? dateTime.format(new Date(value)) : none),
    /** The date of an RFC 3339 time (a bucket's start), in the business time zone. */
    date: (value) => (known(value) ? date.format(new Date(value)) : none),
    /** A calendar date the API gives as YYYY-MM-DD. */
    day: (value) => (known(value) ? calendarDay.format(new Date(`${value}T00:00:00Z`)) : none),
    /** Today's date (YYYY-MM-DD) and month (YYYY-MM) in the business time zone, for default periods. */
    today: () => new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(new Date()),
  };
}

/** A date `days` before `isoDay` (YYYY-MM-DD), as YYYY-MM-DD: for default windows. */
export function daysBefore(isoDay, days) {
  const at = new Date(`${isoDay}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() - days);
  return at.toISOString().slice(0, 10);
}
