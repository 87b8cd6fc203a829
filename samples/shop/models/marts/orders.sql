with items as (

    select
        order_id,
        count(*) as item_count,
        sum(quantity) as units,
        sum(line_amount) as items_amount
    from {{ ref('stg_order_items') }}
    group by order_id

),

paid as (

    select
        order_id,
        sum(amount) filter (where payment_status = 'success') as paid_amount,
        max(payment_method) filter (where payment_status = 'success') as payment_method
    from {{ ref('stg_payments') }}
    group by order_id

)

select
    o.order_id,
    o.customer_id,
    o.ordered_at,
    o.order_date,
    o.status,
    o.marketing_channel,
    o.shipping_country,
    coalesce(i.item_count, 0) as item_count,
    coalesce(i.units, 0) as units,
    cast(coalesce(i.items_amount, 0) + o.shipping_amount as decimal(12, 2)) as amount,
    cast(coalesce(p.paid_amount, 0) as decimal(12, 2)) as paid_amount,
    p.payment_method,
    o.status in ('placed', 'shipped', 'completed') as is_revenue
from {{ ref('stg_orders') }} as o
left join items as i on i.order_id = o.order_id
left join paid as p on p.order_id = o.order_id
