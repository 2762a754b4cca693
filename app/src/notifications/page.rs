use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{
    CreateNotificationChannel, DeleteNotificationChannel, RetryNotification,
    RotateNotificationSecret, SetNotificationChannelDisabled, TestNotificationChannel,
    get_notifications_admin, take_notification_secret,
};
use super::{
    ChannelKind, ChannelView, ChatCommands, DeliveryStatus, DeliveryView, IssuedSecret, NotifyEvent,
};
use crate::components::{
    Column, Field, FormAlert, SecretNotice, SenderHeader, TableCard, TextArea, action_error,
};
use crate::layout::ErrorTemplate;
use crate::time::{Time, TimeOrNever};

/// The actions a channel card and the delivery log take.
#[derive(Clone, Copy)]
struct Actions {
    rotate: ServerAction<RotateNotificationSecret>,
    toggle: ServerAction<SetNotificationChannelDisabled>,
    delete: ServerAction<DeleteNotificationChannel>,
    test: ServerAction<TestNotificationChannel>,
    retry: ServerAction<RetryNotification>,
}

/// Admins send incident news to chat, mailboxes and other systems (Slack, Teams,
/// Mattermost, Discord, e-mail, signed JSON webhooks), with a log of every delivery.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let create = ServerAction::<CreateNotificationChannel>::new();
    let actions = Actions {
        rotate: ServerAction::new(),
        toggle: ServerAction::new(),
        delete: ServerAction::new(),
        test: ServerAction::new(),
        retry: ServerAction::new(),
    };
    let data = Resource::new(|| (), |_| get_notifications_admin());
    let flashed = Resource::new(|| (), |_| take_notification_secret());
    let create_error = Signal::derive(move || action_error(create.value().get()));
    let create_field = move |n: &'static str| {
        Signal::derive(move || create_error.get().and_then(|e| e.field_message(n)))
    };
    let row_error = Signal::derive(move || {
        action_error(actions.rotate.value().get())
            .or_else(|| action_error(actions.toggle.value().get()))
            .or_else(|| action_error(actions.delete.value().get()))
            .or_else(|| action_error(actions.test.value().get()))
            .or_else(|| action_error(actions.retry.value().get()))
    });
    view! {
        <Title text="Notifications" />
        <section class="page">
            <header class="page-header">
                <h1>"Notifications"</h1>
                <p class="page-header__lede">"Slack, Microsoft Teams, Mattermost and Discord channels, mailboxes and other systems hear when an incident is declared, changes severity, status or commander, and when its postmortem is published. Deliveries are retried with backoff for about an hour, so a slow or failing receiver never holds up a responder."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let flashed = flashed.await?;
                        let admin = data.await?;
                        Ok::<_, crate::error::AppError>(view! {
                            {move || {
                                create.value().get().and_then(Result::ok).flatten()
                                    .or_else(|| actions.rotate.value().get().and_then(Result::ok))
                                    .or_else(|| flashed.clone())
                                    .map(|secret| view! { <IssuedNotice secret /> })
                            }}
                            <FormAlert error=row_error fields=&[] />
                            {if admin.channels.is_empty() {
                                view! { <p class="empty-note">"No channel yet. Add one below."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="source-list">
                                        {admin.channels.into_iter().map(|c| view! { <ChannelCard channel=c actions /> }).collect_view()}
                                    </div>
                                }.into_any()
                            }}
                            <section class="card stack" aria-labelledby="new-channel-title">
                                <h2 id="new-channel-title">"Add a channel"</h2>
                                <ActionForm action=create attr:class="form" attr:novalidate=true>
                                    <FormAlert error=create_error fields=&["name", "kind", "url", "addresses", "min_severity_id", "events"] />
                                    <Field label="Name" name="name" required=true hint="For example “#incidents” or “Status page”." error=create_field("name") />
                                    <div class="field" class:field--invalid=move || create_field("kind").get().is_some()>
                                        <label class="field__label" for="channel-kind">"Send to"</label>
                                        <select class="field__input" id="channel-kind" name="kind">
                                            {ChannelKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                                        </select>
                                        {(!admin.mail_enabled).then(|| view! {
                                            <p class="field__hint">"E-mail needs an SMTP relay: start Vigil with --smtp-url (and --mail-from)."</p>
                                        })}
                                        {move || create_field("kind").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                    </div>
                                    <Field label="Webhook address" name="url" kind="url" hint="For chat tools and webhooks: the incoming-webhook URL from Slack, Mattermost or Discord, a Teams Workflows “Send webhook alerts to a channel” URL, or your endpoint." error=create_field("url") />
                                    <div class="field" class:field--invalid=move || create_field("addresses").get().is_some()>
                                        <label class="field__label" for="channel-addresses">"E-mail addresses"</label>
                                        <TextArea id="channel-addresses" name="addresses" rows=2 describedby="channel-addresses-hint" />
                                        <p class="field__hint" id="channel-addresses-hint">"For e-mail: up to 20 addresses, separated by commas or lines."</p>
                                        {move || create_field("addresses").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                    </div>
                                    <div class="field" class:field--invalid=move || create_field("min_severity_id").get().is_some()>
                                        <label class="field__label" for="channel-severity">"Incidents"</label>
                                        <select class="field__input" id="channel-severity" name="min_severity_id">
                                            <option value="">"Every severity"</option>
                                            {admin.severities.iter().map(|(id, name)| view! {
                                                <option value=id.to_string()>{format!("{name} or more severe")}</option>
                                            }).collect_view()}
                                        </select>
                                        <p class="field__hint">"An incident escalated into range is announced by its severity change."</p>
                                        {move || create_field("min_severity_id").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                    </div>
                                    <fieldset class="fieldset" aria-describedby="events-error">
                                        <legend>"Send when"</legend>
                                        {NotifyEvent::SUBSCRIBABLE.into_iter().map(|e| {
                                            let id = format!("event-{}", e.as_str().replace('.', "-"));
                                            view! {
                                                <label class="checkbox" for=id.clone()>
                                                    <input type="checkbox" id=id.clone() name="events[]" value=e.as_str() checked=true />
                                                    {e.label()}
                                                </label>
                                            }
                                        }).collect_view()}
                                        {move || create_field("events").get().map(|m| view! { <p class="field__error" id="events-error">{m}</p> })}
                                    </fieldset>
                                    <button class="button button--primary" type="submit">"Add channel"</button>
                                </ActionForm>
                            </section>
                            <DeliveryLog deliveries=admin.deliveries retry=actions.retry />
                            <ChatCommandsCard commands=admin.chat_commands public_url=admin.public_url />
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

/// The signing secret, once, with how a receiver checks a delivery.
#[component]
fn IssuedNotice(secret: IssuedSecret) -> impl IntoView {
    let setup = "Each delivery carries\n  X-Vigil-Event, X-Vigil-Delivery (retries repeat it), X-Vigil-Timestamp (Unix seconds)\n  X-Vigil-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + \".\" + raw body))\nCompare in constant time and refuse timestamps older than five minutes.".to_owned();
    view! {
        <SecretNotice what="Signing secret for" owner=secret.channel_name keep="give it to the receiver"
            value=secret.secret setup testid="notification-secret" />
    }
}

#[component]
fn ChannelCard(channel: ChannelView, actions: Actions) -> impl IntoView {
    let id = channel.id.to_string();
    let name = channel.name.clone();
    let (rotate_id, rotate_label) = (id.clone(), format!("New secret for {name}"));
    let (test_id, test_label) = (id.clone(), format!("Send test to {name}"));
    let (toggle_id, delete_id) = (id.clone(), id.clone());
    let delete_label = format!("Remove {name} and its delivery log");
    let toggle_label = format!(
        "{} {name}",
        if channel.disabled { "Resume" } else { "Pause" }
    );
    view! {
        <article class="card stack" data-testid="notification-channel" class:card--muted=channel.disabled>
            <SenderHeader name=channel.name.clone() paused=channel.disabled working="Sending" />
            <dl class="facts facts--compact">
                <div><dt>"Kind"</dt><dd>{channel.kind.label()}</dd></div>
                <div><dt>{if channel.kind == ChannelKind::Email { "Addresses" } else { "Address" }}</dt><dd><code>{channel.url_hint}</code></dd></div>
                <div><dt>"Incidents"</dt><dd>{match channel.min_severity.clone() {
                    Some(name) => format!("{name} or more severe"),
                    None => "every severity".to_owned(),
                }}</dd></div>
                <div><dt>"Sends"</dt><dd>{channel.events.iter().map(|e| e.label()).collect::<Vec<_>>().join(", ")}</dd></div>
                <div><dt>"Delivered"</dt><dd>{channel.delivered}</dd></div>
                <div><dt>"Waiting"</dt><dd>{channel.pending}</dd></div>
                <div><dt>"Failed"</dt><dd class:text-danger={channel.failed > 0}>{channel.failed}</dd></div>
                <div><dt>"Last delivered"</dt><dd><TimeOrNever at=channel.last_delivered_at /></dd></div>
            </dl>
            <div class="button-row">
                <ActionForm action=actions.test attr:class="inline-form">
                    <input type="hidden" name="id" value=test_id />
                    <button class="button button--small" type="submit" aria-label=test_label>"Send test"</button>
                </ActionForm>
                {(channel.kind == ChannelKind::Webhook).then(move || view! {
                    <ActionForm action=actions.rotate attr:class="inline-form">
                        <input type="hidden" name="id" value=rotate_id />
                        <button class="button button--small" type="submit" aria-label=rotate_label>"New secret"</button>
                    </ActionForm>
                })}
                <ActionForm action=actions.toggle attr:class="inline-form">
                    <input type="hidden" name="id" value=toggle_id />
                    <input type="hidden" name="disabled" value=(!channel.disabled).to_string() />
                    <button class="button button--small button--quiet" type="submit" aria-label=toggle_label>
                        {if channel.disabled { "Resume" } else { "Pause" }}
                    </button>
                </ActionForm>
                <ActionForm action=actions.delete attr:class="inline-form">
                    <input type="hidden" name="id" value=delete_id />
                    <button class="button button--small button--danger" type="submit" aria-label=delete_label>"Remove"</button>
                </ActionForm>
            </div>
        </article>
    }
}

/// Whether responders can type `/vigil` in Slack or Mattermost, and what to paste where.
#[component]
fn ChatCommandsCard(commands: ChatCommands, public_url: String) -> impl IntoView {
    let row = move |tool: &'static str, on: bool, path: &'static str, flags: &'static str| {
        let url = format!("{public_url}{path}");
        view! {
            <div>
                <dt>{tool}</dt>
                <dd>{if on {
                    view! { "Set up: the slash command's request URL is " <code>{url}</code> }.into_any()
                } else {
                    view! { <span class="muted">"Not set up: start Vigil with " <code>{flags}</code> "."</span> }.into_any()
                }}</dd>
            </div>
        }
    };
    view! {
        <section class="card stack" aria-labelledby="chat-commands-title" data-testid="chat-commands">
            <h2 id="chat-commands-title">"Chat commands"</h2>
            <p class="muted">"Responders type " <code>"/vigil declare"</code> ", " <code>"/vigil status"</code> " or " <code>"/vigil note"</code> " in a channel; Vigil acts as the person whose verified chat email matches theirs."</p>
            <dl class="facts facts--compact">
                {row("Slack", commands.slack, "/hooks/chat/slack", "--slack-signing-secret and --slack-bot-token")}
                {row("Mattermost", commands.mattermost, "/hooks/chat/mattermost", "--mattermost-command-token, --mattermost-url and --mattermost-bot-token")}
            </dl>
        </section>
    }
}

#[component]
fn DeliveryLog(
    deliveries: Vec<DeliveryView>,
    retry: ServerAction<RetryNotification>,
) -> impl IntoView {
    let empty = deliveries.is_empty();
    view! {
        <TableCard
            id="deliveries-title"
            title="Recent deliveries"
            empty_note="Nothing sent yet."
            empty
            caption="The latest 50 deliveries, newest first"
            columns=vec![
                Column::text("Queued"),
                Column::text("Channel"),
                Column::text("Event"),
                Column::text("Status"),
                Column::text("Attempts"),
                Column::text("Last answer"),
                Column::actions(),
            ]
            testid="notification-deliveries"
        >
            {deliveries.into_iter().map(|d| {
                let status_class = match d.status {
                    DeliveryStatus::Delivered => "status status--ok",
                    DeliveryStatus::Pending => "status",
                    DeliveryStatus::Failed => "status status--danger",
                };
                let answer = match (&d.last_error, d.last_status_code) {
                    (Some(e), _) => e.clone(),
                    (None, Some(code)) => format!("HTTP {code}"),
                    (None, None) => "—".to_owned(),
                };
                let id = d.id.to_string();
                view! {
                    <tr>
                        <td><Time at=d.created_at /></td>
                        <td>{d.channel_name}</td>
                        <td>{d.event}{d.incident.map(|r| view! { " " <a href=format!("/incidents/{r}")>{r.to_string()}</a> })}</td>
                        <td>
                            <span class=status_class>{d.status.label()}</span>
                            {d.next_attempt_at.filter(|_| d.attempts > 0).map(|at| view! { <span class="muted">" next try "<Time at /></span> })}
                        </td>
                        <td>{d.attempts}</td>
                        <td>{answer}</td>
                        <td>
                            {(d.status != DeliveryStatus::Delivered).then(|| view! {
                                <ActionForm action=retry attr:class="inline-form">
                                    <input type="hidden" name="id" value=id />
                                    <button class="button button--small" type="submit">"Retry now"</button>
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </TableCard>
    }
}
